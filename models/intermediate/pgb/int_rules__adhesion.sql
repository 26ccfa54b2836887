-- Portaria PRES/INSS 1.839/2025, Anexo II, R401 (adesão pendente ou indeferida),
-- R402 (profissional desligado: fora do período de habilitação) and R419 (sem
-- tarefa de adesão no PAT), for the payee and the task's queue (contract 3).
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

adhesions as (

    select * from {{ ref('stg_pat__adhesions') }}

),

payee_queue_adhesions as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.concluded_on,
        adhesions.adhesion_task_id,
        adhesions.status,
        adhesions.homologation,
        adhesions.enabled_from,
        adhesions.enabled_until,
        adhesions.status = 'concluida'
        and coalesce(adhesions.homologation = 'homologado', false) as is_homologated
    from evaluated_tasks
    inner join adhesions
        on
            evaluated_tasks.payee_siape = adhesions.siape
            and evaluated_tasks.queue_code = adhesions.queue_code

),

adhesion_summary_by_task as (

    select
        task_id,
        count(*) as adhesion_rows,
        count(*) filter (where is_homologated) as homologated_adhesions,
        -- Enabling windows are inclusive; a null end means still enabled.
        count(*) filter (
            where
            is_homologated
            and concluded_on >= enabled_from
            and (enabled_until is null or concluded_on <= enabled_until)
        ) as windows_covering_conclusion,
        string_agg(
            adhesion_task_id || ' ' || status || coalesce('/' || homologation, ''),
            '; ' order by adhesion_task_id
        ) as adhesion_statuses,
        string_agg(
            adhesion_task_id || ' de ' || coalesce({{ evidence_date('enabled_from') }}, '(sem data)')
            || ' a ' || coalesce({{ evidence_date('enabled_until') }}, 'em aberto'),
            '; ' order by adhesion_task_id
        ) filter (where is_homologated) as enabling_windows
    from payee_queue_adhesions
    group by task_id

),

final as (

    select
        evaluated_tasks.task_id,
        coalesce(
            adhesion_summary_by_task.adhesion_rows > 0
            and adhesion_summary_by_task.homologated_adhesions = 0,
            false
        ) as r401,
        case
            when
                adhesion_summary_by_task.adhesion_rows > 0
                and adhesion_summary_by_task.homologated_adhesions = 0
                then
                    'O servidor ' || evaluated_tasks.payee_siape || ' tem adesão à fila '
                    || evaluated_tasks.queue_code || ' no PAT, mas nenhuma concluída e homologada ('
                    || adhesion_summary_by_task.adhesion_statuses || ').'
        end as r401_evidence,
        coalesce(
            adhesion_summary_by_task.homologated_adhesions > 0
            and adhesion_summary_by_task.windows_covering_conclusion = 0,
            false
        ) as r402,
        case
            when
                adhesion_summary_by_task.homologated_adhesions > 0
                and adhesion_summary_by_task.windows_covering_conclusion = 0
                then
                    'Tarefa concluída em ' || {{ evidence_date('evaluated_tasks.concluded_on') }}
                    || ', fora do período de habilitação do servidor ' || evaluated_tasks.payee_siape
                    || ' na fila ' || evaluated_tasks.queue_code
                    || ' (adesões homologadas: ' || adhesion_summary_by_task.enabling_windows || ').'
        end as r402_evidence,
        adhesion_summary_by_task.task_id is null as r419,
        case
            when adhesion_summary_by_task.task_id is null
                then
                    'O servidor ' || evaluated_tasks.payee_siape
                    || ' não tem tarefa de adesão no PAT para a fila ' || evaluated_tasks.queue_code || '.'
        end as r419_evidence
    from evaluated_tasks
    left join adhesion_summary_by_task
        on evaluated_tasks.task_id = adhesion_summary_by_task.task_id

)

select * from final
