-- GET tasks and subtasks, typed. nb is trimmed and a blank nb becomes null
-- (contract 3, R421: "nb is null or blank").
with

source as (

    select * from {{ pgb_export('raw_tasks') }}

),

typed as (

    select
        nullif(trim(cast(task_id as varchar)), '') as task_id,
        nullif(trim(cast(parent_task_id as varchar)), '') as parent_task_id,
        cast(service_code as integer) as service_code,
        cast(service_name as varchar) as service_name,
        cast(category as varchar) as category,
        cast(benefit_group as varchar) as benefit_group,
        nullif(trim(cast(queue_code as varchar)), '') as queue_code,
        cast(queue_type as varchar) as queue_type,
        nullif(trim(cast(nb as varchar)), '') as nb,
        cast(created_at as timestamp) as created_at,
        nullif(trim(cast(created_by as varchar)), '') as created_by,
        cast(status as varchar) as status,
        cast(concluded_at as timestamp) as concluded_at,
        nullif(trim(cast(concluded_by as varchar)), '') as concluded_by
    from source

)

select * from typed
