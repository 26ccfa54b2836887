-- Portaria PRES/INSS 1.839/2025, Anexo II, R403, R404, R405, R406, R407 and R429,
-- with Quadro 2.2.1 and art. 3º, parágrafo único (redação da Portaria 1.854/2025):
-- the payee's acts must happen "fora do horário previsto ou realizado no Sisref",
-- whatever the PGD pact. Contract 2: an act at t is in ordinary hours when
-- start_at <= t < end_at for a previsto/realizado interval of the payee, or the
-- payee has an occurrence on date(t) whose code blocks extraordinary work.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rule_codes = ['R403', 'R404', 'R405', 'R406', 'R407', 'R429'] %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

task_events as (

    select * from {{ ref('stg_get__task_events') }}

),

task_assignments as (

    select * from {{ ref('stg_get__task_assignments') }}

),

sub_dispatches as (

    select * from {{ ref('stg_sub__dispatches') }}

),

sisref_intervals as (

    select * from {{ ref('stg_sisref__intervals') }}

),

sisref_occurrences as (

    select * from {{ ref('stg_sisref__occurrences') }}

),

sisref_codes as (

    select * from {{ ref('stg_reference__sisref_codes') }}

),

-- Only the payee's own acts count (contract 2, "The payee's acts").
payee_conclusions as (

    select
        task_id,
        payee_siape,
        'R404' as rule_code,
        'conclusion:' || task_id as act_key,
        'Conclusão da tarefa' as act_label,
        concluded_at as act_at
    from evaluated_tasks

),

payee_task_events as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        case task_events.event_type
            when 'status_change' then 'R403'
            when 'subtask_created' then 'R405'
            else 'R407'
        end as rule_code,
        'event:' || task_events.event_id as act_key,
        case task_events.event_type
            when 'status_change' then 'Alteração de status'
            when 'subtask_created' then 'Criação de subtarefa'
            when 'comment' then 'Comentário'
            else 'Anexo'
        end || ' (evento ' || task_events.event_id || ')' as act_label,
        task_events.occurred_at as act_at
    from evaluated_tasks
    inner join task_events
        on
            evaluated_tasks.task_id = task_events.task_id
            and evaluated_tasks.payee_siape = task_events.siape
    where task_events.event_type in ('status_change', 'subtask_created', 'comment', 'attachment')

),

-- R406: non-automatic dispatches by the payee on the task's NB while the task was open.
payee_dispatches as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        'R406' as rule_code,
        'dispatch:' || sub_dispatches.dispatch_id as act_key,
        'Despacho SUB ' || sub_dispatches.dispatch_id || ' no NB ' || sub_dispatches.nb as act_label,
        sub_dispatches.dispatched_at as act_at
    from evaluated_tasks
    inner join sub_dispatches
        on
            evaluated_tasks.nb = sub_dispatches.nb
            and evaluated_tasks.payee_siape = sub_dispatches.siape
            and evaluated_tasks.created_at <= sub_dispatches.dispatched_at
            and evaluated_tasks.concluded_at >= sub_dispatches.dispatched_at
    where not coalesce(sub_dispatches.is_automatic, false)

),

payee_assignments as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        'R429' as rule_code,
        'assignment:' || task_assignments.task_id || ':' || cast(task_assignments.assigned_at as varchar) as act_key,
        'Atribuição (tarefa puxada)' as act_label,
        task_assignments.assigned_at as act_at
    from evaluated_tasks
    inner join task_assignments
        on
            evaluated_tasks.task_id = task_assignments.task_id
            and evaluated_tasks.payee_siape = task_assignments.siape

),

payee_acts as (

    select * from payee_conclusions
    union all
    select * from payee_task_events
    union all
    select * from payee_dispatches
    union all
    select * from payee_assignments

),

-- Half-open [start_at, end_at), matched on timestamps so night shifts that
-- cross midnight count whatever their work_date.
acts_within_sisref_intervals as (

    select
        payee_acts.*,
        'no intervalo Sisref ' || sisref_intervals.kind
        || ' de ' || {{ evidence_ts('sisref_intervals.start_at') }}
        || ' a ' || {{ evidence_ts('sisref_intervals.end_at') }}
        || ' (dia ' || {{ evidence_date('sisref_intervals.work_date') }} || ')' as ordinary_hours_reason
    from payee_acts
    inner join sisref_intervals
        on
            payee_acts.payee_siape = sisref_intervals.siape
            and payee_acts.act_at >= sisref_intervals.start_at
            and payee_acts.act_at < sisref_intervals.end_at

),

acts_on_blocking_occurrence_days as (

    select
        payee_acts.*,
        'em dia com ocorrência Sisref ' || sisref_occurrences.occurrence_code
        || ' (' || coalesce(sisref_codes.description, 'sem descrição') || ')'
        || ', que veda a atividade extraordinária no dia inteiro' as ordinary_hours_reason
    from payee_acts
    inner join sisref_occurrences
        on
            payee_acts.payee_siape = sisref_occurrences.siape
            and cast(payee_acts.act_at as date) = sisref_occurrences.occurrence_date
    inner join sisref_codes
        on sisref_occurrences.occurrence_code = sisref_codes.occurrence_code
    where sisref_codes.blocks_extraordinary_work

),

acts_in_ordinary_hours as (

    select * from acts_within_sisref_intervals
    union all
    select * from acts_on_blocking_occurrence_days

),

-- One sentence per task and rule: the earliest offending act, and how many more.
evidence_by_task_and_rule as (

    select
        task_id,
        rule_code,
        count(distinct act_key) as offending_acts,
        min_by(
            act_label || ' em ' || {{ evidence_ts('act_at') }}
            || ' pelo servidor ' || payee_siape || ', ' || ordinary_hours_reason,
            {{ evidence_ts('act_at') }} || act_key || ordinary_hours_reason
        ) as first_offending_act
    from acts_in_ordinary_hours
    group by task_id, rule_code

),

rule_flags_by_task as (

    select
        task_id,
        {%- for rule_code in rule_codes %}
        bool_or(rule_code = '{{ rule_code }}') as {{ rule_code | lower }},
        max(
            case
                when rule_code = '{{ rule_code }}'
                    then first_offending_act || case
                        when offending_acts > 1
                            then ' (e mais ' || cast(offending_acts - 1 as varchar) || ' ato(s) no expediente)'
                        else ''
                    end || '.'
            end
        ) as {{ rule_code | lower }}_evidence{{ ',' if not loop.last }}
        {%- endfor %}
    from evidence_by_task_and_rule
    group by task_id

),

final as (

    select
        evaluated_tasks.task_id,
        {%- for rule_code in rule_codes %}
        coalesce(rule_flags_by_task.{{ rule_code | lower }}, false) as {{ rule_code | lower }},
        rule_flags_by_task.{{ rule_code | lower }}_evidence{{ ',' if not loop.last }}
        {%- endfor %}
    from evaluated_tasks
    left join rule_flags_by_task
        on evaluated_tasks.task_id = rule_flags_by_task.task_id

)

select * from final
