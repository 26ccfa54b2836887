with

source as (

    select * from {{ pgb_export('raw_task_assignments') }}

),

typed as (

    select
        nullif(trim(cast(task_id as varchar)), '') as task_id,
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(assigned_at as timestamp) as assigned_at
    from source

)

select * from typed
