-- Portaria PRES/INSS 1.839/2025, Anexo II, R411 (criada e concluída pelo mesmo
-- profissional), R421 (sem NB) and R424 (mais de um profissional responsável):
-- rules read off the task itself and its assignments (contract 3).
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

task_assignments as (

    select * from {{ ref('stg_get__task_assignments') }}

),

assignees_by_task as (

    select
        task_id,
        count(distinct siape) as distinct_assignees,
        string_agg(distinct siape, ', ' order by siape) as assignee_list
    from task_assignments
    group by task_id

),

final as (

    select
        evaluated_tasks.task_id,
        -- R411 spares the avaliação social subtasks, which follow their own flow.
        coalesce(
            evaluated_tasks.created_by = evaluated_tasks.payee_siape
            and evaluated_tasks.created_at >= evaluated_tasks.program_start
            and coalesce(evaluated_tasks.category, '') <> 'avaliacao_social',
            false
        ) as r411,
        case
            when
                evaluated_tasks.created_by = evaluated_tasks.payee_siape
                and evaluated_tasks.created_at >= evaluated_tasks.program_start
                and coalesce(evaluated_tasks.category, '') <> 'avaliacao_social'
                then
                    'Tarefa criada em ' || {{ evidence_ts('evaluated_tasks.created_at') }}
                    || ' e concluída em ' || {{ evidence_ts('evaluated_tasks.concluded_at') }}
                    || ' pelo mesmo servidor ' || evaluated_tasks.payee_siape
                    || ' (criação após o início do programa em '
                    || {{ evidence_date('evaluated_tasks.program_start') }} || ').'
        end as r411_evidence,
        evaluated_tasks.nb is null as r421,
        case
            when evaluated_tasks.nb is null
                then 'Tarefa concluída sem número de benefício (NB vazio).'
        end as r421_evidence,
        coalesce(assignees_by_task.distinct_assignees > 1, false) as r424,
        case
            when assignees_by_task.distinct_assignees > 1
                then
                    'Tarefa atribuída a ' || cast(assignees_by_task.distinct_assignees as varchar)
                    || ' servidores diferentes: ' || assignees_by_task.assignee_list || '.'
        end as r424_evidence
    from evaluated_tasks
    left join assignees_by_task
        on evaluated_tasks.task_id = assignees_by_task.task_id

)

select * from final
