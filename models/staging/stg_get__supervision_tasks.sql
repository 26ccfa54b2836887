with

source as (

    select * from {{ pgb_export('raw_supervision_tasks') }}

),

typed as (

    select
        nullif(trim(cast(task_id as varchar)), '') as task_id,
        nullif(trim(cast(aps_code as varchar)), '') as aps_code,
        nullif(trim(cast(supervisor_siape as varchar)), '') as supervisor_siape,
        cast(created_at as timestamp) as created_at,
        cast(visited_at as timestamp) as visited_at,
        cast(concluded_at as timestamp) as concluded_at,
        cast(status as varchar) as status,
        cast(attachments_count as integer) as attachments_count,
        cast(additional_fields_total as integer) as additional_fields_total,
        cast(additional_fields_filled as integer) as additional_fields_filled
    from source

)

select * from typed
