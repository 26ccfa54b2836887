with

source as (

    select * from {{ ref('ref_parameters') }}

),

typed as (

    select
        nullif(trim(cast(name as varchar)), '') as name,
        nullif(trim(cast(value as varchar)), '') as value,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to,
        cast(legal_source as varchar) as legal_source,
        cast(published_on as date) as published_on
    from source

)

select * from typed
