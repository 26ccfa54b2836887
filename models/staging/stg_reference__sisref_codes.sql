with

source as (

    select * from {{ ref('ref_sisref_codes') }}

),

typed as (

    select
        nullif(trim(cast(occurrence_code as varchar)), '') as occurrence_code,
        cast(description as varchar) as description,
        cast(blocks_extraordinary_work as boolean) as blocks_extraordinary_work
    from source

)

select * from typed
