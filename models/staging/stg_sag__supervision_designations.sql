with

source as (

    select * from {{ pgb_export('raw_supervision_designations') }}

),

typed as (

    select
        nullif(trim(cast(siape as varchar)), '') as siape,
        nullif(trim(cast(aps_code as varchar)), '') as aps_code,
        cast(designated_by as varchar) as designated_by,
        cast(competence_from as date) as competence_from,
        cast(competence_until as date) as competence_until
    from source

)

select * from typed
