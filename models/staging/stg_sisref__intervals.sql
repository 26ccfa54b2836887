with

source as (

    select * from {{ pgb_export('raw_sisref_intervals') }}

),

typed as (

    select
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(work_date as date) as work_date,
        cast(kind as varchar) as kind,
        cast(start_at as timestamp) as start_at,
        cast(end_at as timestamp) as end_at
    from source

)

select * from typed
