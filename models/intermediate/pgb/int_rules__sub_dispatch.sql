-- Portaria PRES/INSS 1.839/2025, Anexo II, R409 (tarefa concluída sem despacho no
-- SUB) and Quadro R409 (Portaria 1.854/2025, retroactive to 2025-05-19 by its
-- art. 2º). Contract 3: assistencial and incapacidade services are judged by the
-- NB's SIBE status; other initial recognitions need a deferimento/indeferimento
-- dispatch that is automatic, or by the payee within the task's lifetime
-- (contract v2). Lists come from ref_parameters.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

sub_dispatches as (

    select * from {{ ref('stg_sub__dispatches') }}

),

sibe_statuses as (

    select * from {{ ref('stg_sibe__benefit_statuses') }}

),

tasks_by_r409_branch as (

    select
        evaluated_tasks.*,
        case
            when {{ in_parameter_list('evaluated_tasks.service_code', 'evaluated_tasks.r409_assistencial_services') }}
                then 'assistencial'
            when {{ in_parameter_list('evaluated_tasks.service_code', 'evaluated_tasks.r409_incapacidade_services') }}
                then 'incapacidade'
            when
                evaluated_tasks.category = 'reconhecimento_inicial'
                and evaluated_tasks.benefit_group not in ('assistencial', 'incapacidade_temporaria')
                then 'reconhecimento_inicial'
            else 'not_applicable'
        end as r409_branch
    from evaluated_tasks

),

-- Quadro R409: the subtask is approved only with one of the listed SIBE statuses
-- (compared without case: the Quadro writes both "Em processamento" and "Em Processamento").
sibe_judged_tasks as (

    select
        tasks_by_r409_branch.task_id,
        not case tasks_by_r409_branch.r409_branch
            when 'assistencial'
                then {{ in_parameter_list('sibe_statuses.sibe_status', 'tasks_by_r409_branch.r409_assistencial_statuses') }}
            else {{ in_parameter_list('sibe_statuses.sibe_status', 'tasks_by_r409_branch.r409_incapacidade_statuses') }}
        end as r409,
        'Serviço ' || cast(tasks_by_r409_branch.service_code as varchar) || ' (Quadro R409, '
        || case tasks_by_r409_branch.r409_branch
            when 'assistencial' then 'benefício assistencial'
            else 'benefício por incapacidade'
        end || '): '
        || case
            when tasks_by_r409_branch.nb is null then 'tarefa sem NB, sem situação no SIBE'
            when sibe_statuses.nb is null then 'NB ' || tasks_by_r409_branch.nb || ' sem situação no SIBE'
            else 'situação SIBE do NB ' || tasks_by_r409_branch.nb || ' é "' || sibe_statuses.sibe_status || '"'
        end || ', fora das situações aceitas ('
        || replace(
            case tasks_by_r409_branch.r409_branch
                when 'assistencial' then tasks_by_r409_branch.r409_assistencial_statuses
                else tasks_by_r409_branch.r409_incapacidade_statuses
            end,
            ';', ', '
        ) || ').' as r409_evidence
    from tasks_by_r409_branch
    left join sibe_statuses
        on tasks_by_r409_branch.nb = sibe_statuses.nb
    where tasks_by_r409_branch.r409_branch in ('assistencial', 'incapacidade')

),

-- An automatic decision counts at any time ("não se aplica essa regra quando o
-- despacho for emitido de forma automática"); a manual one only when the payee
-- made it within this task's lifetime (contract v2: the window of R406), so a
-- dispatch from an earlier task on the same benefit is not this task's.
initial_recognition_dispatches as (

    select
        tasks_by_r409_branch.task_id,
        sub_dispatches.dispatch_id,
        sub_dispatches.siape,
        sub_dispatches.decision,
        sub_dispatches.dispatched_at,
        {{ in_parameter_list('sub_dispatches.decision', 'tasks_by_r409_branch.r409_sub_decisions') }}
            as is_decision,
        coalesce(sub_dispatches.is_automatic, false)
        or coalesce(
            sub_dispatches.siape = tasks_by_r409_branch.payee_siape
            and sub_dispatches.dispatched_at >= tasks_by_r409_branch.created_at
            and sub_dispatches.dispatched_at <= tasks_by_r409_branch.concluded_at,
            false
        ) as is_automatic_or_by_payee_within_task
    from tasks_by_r409_branch
    inner join sub_dispatches
        on tasks_by_r409_branch.nb = sub_dispatches.nb
    where tasks_by_r409_branch.r409_branch = 'reconhecimento_inicial'

),

dispatch_summary_by_task as (

    select
        task_id,
        bool_or(is_decision and is_automatic_or_by_payee_within_task) as has_valid_decision_dispatch,
        string_agg(
            dispatch_id || ' (' || decision || ', por ' || coalesce(siape, 'sistema')
            || ', em ' || {{ evidence_ts('dispatched_at') }} || ')',
            ', ' order by dispatch_id
        ) as dispatches_found
    from initial_recognition_dispatches
    group by task_id

),

dispatch_judged_tasks as (

    select
        tasks_by_r409_branch.task_id,
        not coalesce(dispatch_summary_by_task.has_valid_decision_dispatch, false) as r409,
        'Reconhecimento inicial sem despacho de '
        || replace(tasks_by_r409_branch.r409_sub_decisions, ';', ' ou ')
        || ' no SUB feito de forma automática ou pelo responsável ' || tasks_by_r409_branch.payee_siape
        || ' entre a criação (' || {{ evidence_ts('tasks_by_r409_branch.created_at') }}
        || ') e a conclusão (' || {{ evidence_ts('tasks_by_r409_branch.concluded_at') }} || ') da tarefa'
        || case
            when tasks_by_r409_branch.nb is null then ' (tarefa sem NB)'
            when dispatch_summary_by_task.task_id is null
                then ' (nenhum despacho no NB ' || tasks_by_r409_branch.nb || ')'
            else ' (despachos no NB ' || tasks_by_r409_branch.nb || ': ' || dispatch_summary_by_task.dispatches_found || ')'
        end || '.' as r409_evidence
    from tasks_by_r409_branch
    left join dispatch_summary_by_task
        on tasks_by_r409_branch.task_id = dispatch_summary_by_task.task_id
    where tasks_by_r409_branch.r409_branch = 'reconhecimento_inicial'

),

judged_tasks as (

    select * from sibe_judged_tasks
    union all
    select * from dispatch_judged_tasks

),

final as (

    select
        evaluated_tasks.task_id,
        coalesce(judged_tasks.r409, false) as r409,
        case when judged_tasks.r409 then judged_tasks.r409_evidence end as r409_evidence
    from evaluated_tasks
    left join judged_tasks
        on evaluated_tasks.task_id = judged_tasks.task_id

)

select * from final
