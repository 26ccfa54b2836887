-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R409, and Quadro R409 (Portaria
-- 1.854/2025, retroactive to 2025-05-19 by its art. 2º). Contract 3: services in
-- r409_assistencial_services / r409_incapacidade_services fire unless the NB's
-- SIBE status is in the matching list (trimmed, without case); other
-- reconhecimento_inicial tasks outside the assistencial/incapacidade groups fire
-- unless a deferimento/indeferimento dispatch on the NB is automatic (at any
-- time) or by the payee within created_at <= dispatched_at <= concluded_at (v2).
{% macro pgb_rule__r409_no_sub_dispatch() %}{{ return('R409') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

sub_dispatches as (

    select * from {{ ref('stg_sub__dispatches') }}

),

sibe_statuses as (

    select * from {{ ref('stg_sibe__benefit_statuses') }}

),

tasks_by_r409_branch as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.nb,
        evaluated_tasks.service_code,
        evaluated_tasks.payee_siape,
        evaluated_tasks.created_at,
        evaluated_tasks.concluded_at,
        parameters_by_day.r409_sub_decisions,
        case
            when list_contains(parameters_by_day.r409_assistencial_services, evaluated_tasks.service_code)
                then 'assistencial'
            when list_contains(parameters_by_day.r409_incapacidade_services, evaluated_tasks.service_code)
                then 'incapacidade'
            when
                evaluated_tasks.category = 'reconhecimento_inicial'
                and evaluated_tasks.benefit_group not in ('assistencial', 'incapacidade_temporaria')
                then 'reconhecimento_inicial'
        end as r409_branch,
        case
            when list_contains(parameters_by_day.r409_assistencial_services, evaluated_tasks.service_code)
                then parameters_by_day.r409_assistencial_statuses
            else parameters_by_day.r409_incapacidade_statuses
        end as accepted_statuses
    from evaluated_tasks
    inner join parameters_by_day
        on evaluated_tasks.concluded_on = parameters_by_day.day

),

-- Quadro R409: the task passes only with one of the listed SIBE statuses.
tasks_without_accepted_sibe_status as (

    select
        tasks_by_r409_branch.task_id,
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
        || array_to_string(tasks_by_r409_branch.accepted_statuses, ', ') || ').' as evidence
    from tasks_by_r409_branch
    left join sibe_statuses
        on tasks_by_r409_branch.nb = sibe_statuses.nb
    where
        tasks_by_r409_branch.r409_branch in ('assistencial', 'incapacidade')
        and not {{ in_list('sibe_statuses.sibe_status', 'tasks_by_r409_branch.accepted_statuses') }}

),

initial_recognitions as (

    select *
    from tasks_by_r409_branch
    where r409_branch = 'reconhecimento_inicial'

),

-- An automatic decision counts at any time ("não se aplica essa regra quando o
-- despacho for emitido de forma automática"); a manual one only when the payee
-- made it within this task's lifetime (contract v2: the window of R406), so a
-- dispatch from an earlier task on the same benefit is not this task's.
dispatches_on_initial_recognitions as (

    select
        initial_recognitions.task_id,
        sub_dispatches.dispatch_id,
        sub_dispatches.siape,
        sub_dispatches.decision,
        sub_dispatches.dispatched_at,
        {{ in_list('sub_dispatches.decision', 'initial_recognitions.r409_sub_decisions') }}
        and (
            coalesce(sub_dispatches.is_automatic, false)
            or coalesce(
                sub_dispatches.siape = initial_recognitions.payee_siape
                and sub_dispatches.dispatched_at >= initial_recognitions.created_at
                and sub_dispatches.dispatched_at <= initial_recognitions.concluded_at,
                false
            )
        ) as is_valid_decision
    from initial_recognitions
    inner join sub_dispatches
        on initial_recognitions.nb = sub_dispatches.nb

),

decisions_by_task as (

    select
        task_id,
        bool_or(is_valid_decision) as has_valid_decision
    from dispatches_on_initial_recognitions
    group by task_id

),

-- The dispatches found, listed only for the tasks that fail: most initial
-- recognitions have their decision, and listing them all costs more than the rule.
dispatches_by_task as (

    select
        dispatches_on_initial_recognitions.task_id,
        string_agg(
            dispatches_on_initial_recognitions.dispatch_id || ' (' || dispatches_on_initial_recognitions.decision
            || ', por ' || coalesce(dispatches_on_initial_recognitions.siape, 'sistema')
            || ', em ' || {{ evidence_ts('dispatches_on_initial_recognitions.dispatched_at') }} || ')',
            ', ' order by dispatches_on_initial_recognitions.dispatch_id
        ) as dispatches_found
    from dispatches_on_initial_recognitions
    inner join decisions_by_task
        on dispatches_on_initial_recognitions.task_id = decisions_by_task.task_id
    where not coalesce(decisions_by_task.has_valid_decision, false)
    group by dispatches_on_initial_recognitions.task_id

),

initial_recognitions_without_decision as (

    select
        initial_recognitions.task_id,
        'Reconhecimento inicial sem despacho de '
        || array_to_string(initial_recognitions.r409_sub_decisions, ' ou ')
        || ' no SUB feito de forma automática ou pelo responsável ' || initial_recognitions.payee_siape
        || ' entre a criação (' || {{ evidence_ts('initial_recognitions.created_at') }}
        || ') e a conclusão (' || {{ evidence_ts('initial_recognitions.concluded_at') }} || ') da tarefa'
        || case
            when initial_recognitions.nb is null then ' (tarefa sem NB)'
            when dispatches_by_task.task_id is null
                then ' (nenhum despacho no NB ' || initial_recognitions.nb || ')'
            else ' (despachos no NB ' || initial_recognitions.nb || ': ' || dispatches_by_task.dispatches_found || ')'
        end || '.' as evidence
    from initial_recognitions
    left join decisions_by_task
        on initial_recognitions.task_id = decisions_by_task.task_id
    left join dispatches_by_task
        on initial_recognitions.task_id = dispatches_by_task.task_id
    where not coalesce(decisions_by_task.has_valid_decision, false)

),

final as (

    select * from tasks_without_accepted_sibe_status
    union all
    select * from initial_recognitions_without_decision

)

select * from final
