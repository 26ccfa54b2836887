-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R424 (redação da Portaria 1.854/2025).
-- Contract 3: the task has assignments to more than one distinct siape.
{% macro pgb_rule__r424_more_than_one_assignee() %}{{ return('R424') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

task_assignments as (

    select * from {{ ref('stg_get__task_assignments') }}

),

evaluated_assignments as (

    select
        task_assignments.task_id,
        task_assignments.siape
    from task_assignments
    inner join evaluated_tasks
        on task_assignments.task_id = evaluated_tasks.task_id

),

-- Evidence only for the tasks that fail: most tasks have one assignee, and
-- listing them all to drop them costs more than the rule itself.
tasks_with_several_assignees as (

    select task_id
    from evaluated_assignments
    group by task_id
    having count(distinct siape) > 1

),

assignees_by_task as (

    select
        evaluated_assignments.task_id,
        count(distinct evaluated_assignments.siape) as distinct_assignees,
        string_agg(distinct evaluated_assignments.siape, ', ' order by evaluated_assignments.siape) as assignee_list
    from evaluated_assignments
    inner join tasks_with_several_assignees
        on evaluated_assignments.task_id = tasks_with_several_assignees.task_id
    group by evaluated_assignments.task_id

),

final as (

    select
        task_id,
        'Tarefa atribuída a ' || cast(distinct_assignees as varchar)
        || ' servidores diferentes: ' || assignee_list || '.' as evidence
    from assignees_by_task

)

select * from final
