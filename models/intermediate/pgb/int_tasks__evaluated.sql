-- Contract 2, "Evaluated task" (Portaria PRES/INSS 1.839/2025, Anexo II): a task
-- concluded in an extraordinary queue on or after the program start in force on
-- its conclusion day, with its payee (concluded_by), reference month and the
-- value per task in force then. The rules read their other parameters from
-- int_parameters__in_force_by_day on concluded_on. A partitioned run (pgb_month)
-- evaluates that reference month's tasks only.
with

tasks as (

    select * from {{ ref('stg_get__tasks') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

concluded_extraordinary_tasks as (

    select
        *,
        cast(concluded_at as date) as concluded_on
    from tasks
    where
        queue_type = 'extraordinaria'
        and status = 'concluida'
        and concluded_at is not null

),

final as (

    select
        concluded_extraordinary_tasks.task_id,
        concluded_extraordinary_tasks.parent_task_id,
        concluded_extraordinary_tasks.parent_task_id is null as is_root_task,
        concluded_extraordinary_tasks.service_code,
        concluded_extraordinary_tasks.service_name,
        concluded_extraordinary_tasks.category,
        concluded_extraordinary_tasks.benefit_group,
        concluded_extraordinary_tasks.queue_code,
        concluded_extraordinary_tasks.nb,
        concluded_extraordinary_tasks.created_at,
        concluded_extraordinary_tasks.created_by,
        concluded_extraordinary_tasks.concluded_at,
        concluded_extraordinary_tasks.concluded_on,
        concluded_extraordinary_tasks.concluded_by as payee_siape,
        cast(date_trunc('month', concluded_extraordinary_tasks.concluded_at) as date) as reference_month,
        parameters_by_day.program_start,
        parameters_by_day.value_per_task
    from concluded_extraordinary_tasks
    inner join parameters_by_day
        on concluded_extraordinary_tasks.concluded_on = parameters_by_day.day
    where
        concluded_extraordinary_tasks.concluded_at >= parameters_by_day.program_start
        and {{ in_month_of_this_run('concluded_extraordinary_tasks.concluded_on') }}

)

select * from final
