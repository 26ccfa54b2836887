with

source as (

    select * from {{ pgb_export('raw_hr_periods') }}

),

typed as (

    select
        nullif(trim(cast(period_id as varchar)), '') as period_id,
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(kind as varchar) as kind,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        nullif(trim(cast(ceded_to as varchar)), '') as ceded_to
    from source

)

select * from typed
