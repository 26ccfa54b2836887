with

source as (

    select * from {{ pgb_export('raw_aps') }}

),

typed as (

    select
        nullif(trim(cast(aps_code as varchar)), '') as aps_code,
        cast(aps_name as varchar) as aps_name,
        nullif(trim(cast(gex_code as varchar)), '') as gex_code,
        cast(opens_at as time) as opens_at,
        cast(closes_at as time) as closes_at,
        cast(active_from as date) as active_from,
        cast(active_until as date) as active_until
    from source

)

select * from typed
