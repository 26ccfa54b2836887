with

source as (

    select * from {{ pgb_export('raw_adhesions') }}

),

typed as (

    select
        nullif(trim(cast(adhesion_task_id as varchar)), '') as adhesion_task_id,
        nullif(trim(cast(siape as varchar)), '') as siape,
        nullif(trim(cast(queue_code as varchar)), '') as queue_code,
        cast(requested_at as timestamp) as requested_at,
        cast(status as varchar) as status,
        cast(homologation as varchar) as homologation,
        cast(enabled_from as date) as enabled_from,
        cast(enabled_until as date) as enabled_until
    from source

)

select * from typed
