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

assignees_by_task as (

    select
        task_assignments.task_id,
        count(distinct task_assignments.siape) as distinct_assignees,
        string_agg(distinct task_assignments.siape, ', ' order by task_assignments.siape) as assignee_list
    from task_assignments
    inner join evaluated_tasks
        on task_assignments.task_id = evaluated_tasks.task_id
    group by task_assignments.task_id

),

final as (

    select
        task_id,
        'Tarefa atribuída a ' || cast(distinct_assignees as varchar)
        || ' servidores diferentes: ' || assignee_list || '.' as evidence
    from assignees_by_task
    where distinct_assignees > 1

)

select * from final
