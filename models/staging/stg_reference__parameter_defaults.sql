with

source as (

    select * from {{ ref('ref_parameter_defaults') }}

),

typed as (

    select
        nullif(trim(cast(name as varchar)), '') as name,
        nullif(trim(cast(value as varchar)), '') as value,
        cast(reason as varchar) as reason
    from source

)

select * from typed
