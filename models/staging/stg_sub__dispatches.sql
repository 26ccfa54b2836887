with

source as (

    select * from {{ pgb_export('raw_sub_dispatches') }}

),

typed as (

    select
        nullif(trim(cast(dispatch_id as varchar)), '') as dispatch_id,
        nullif(trim(cast(nb as varchar)), '') as nb,
        cast(decision as varchar) as decision,
        cast(dispatched_at as timestamp) as dispatched_at,
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(is_automatic as boolean) as is_automatic
    from source

)

select * from typed
