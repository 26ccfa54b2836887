with

source as (

    select * from {{ pgb_export('raw_sisref_occurrences') }}

),

typed as (

    select
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(occurrence_date as date) as occurrence_date,
        nullif(trim(cast(occurrence_code as varchar)), '') as occurrence_code
    from source

)

select * from typed
