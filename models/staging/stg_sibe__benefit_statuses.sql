with

source as (

    select * from {{ pgb_export('raw_sibe_status') }}

),

typed as (

    select
        nullif(trim(cast(nb as varchar)), '') as nb,
        cast(sibe_status as varchar) as sibe_status
    from source

)

select * from typed
