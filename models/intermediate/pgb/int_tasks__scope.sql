-- Issue 11, "nothing lost": every row of the GET task export with the reason it
-- is, or is not, an evaluated task of this run (contract 2: queue_type
-- 'extraordinaria', status 'concluida', concluded_at >= program_start; a
-- partitioned run evaluates its months only). The reasons are tested in order;
-- a task that is neither evaluated nor explained gets no reason, and the test
-- assert_every_exported_task_has_a_scope_reason fails.
with

tasks as (

    select * from {{ ref('stg_get__tasks') }}

),

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

earliest_program_start as (

    select min(program_start) as program_start
    from parameters_by_day

),

tasks_with_program_start as (

    select
        tasks.task_id,
        tasks.queue_type,
        tasks.status,
        tasks.concluded_at,
        coalesce(parameters_by_day.program_start, earliest_program_start.program_start) as program_start,
        {{ in_month_of_this_run('cast(tasks.concluded_at as date)') }} as in_run_months
    from tasks
    cross join earliest_program_start
    left join parameters_by_day
        on cast(tasks.concluded_at as date) = parameters_by_day.day

),

final as (

    select
        tasks_with_program_start.task_id,
        cast(date_trunc('month', tasks_with_program_start.concluded_at) as date) as reference_month,
        case
            when evaluated_tasks.task_id is not null then 'evaluated'
            when coalesce(tasks_with_program_start.queue_type, '') <> 'extraordinaria' then 'not_extraordinary_queue'
            when coalesce(tasks_with_program_start.status, '') <> 'concluida' then 'not_concluida'
            when tasks_with_program_start.concluded_at is null then 'concluida_without_concluded_at'
            when
                tasks_with_program_start.concluded_at < tasks_with_program_start.program_start
                then 'before_program_start'
            when not tasks_with_program_start.in_run_months then 'concluded_outside_run_months'
        end as scope_reason
    from tasks_with_program_start
    left join evaluated_tasks
        on tasks_with_program_start.task_id = evaluated_tasks.task_id

)

select * from final
