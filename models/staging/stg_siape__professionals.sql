with

source as (

    select * from {{ pgb_export('raw_professionals') }}

),

typed as (

    select
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(name as varchar) as name,
        cast(role as varchar) as role,
        cast(social_service_degree as boolean) as social_service_degree,
        nullif(trim(cast(unit_code as varchar)), '') as unit_code
    from source

)

select * from typed
