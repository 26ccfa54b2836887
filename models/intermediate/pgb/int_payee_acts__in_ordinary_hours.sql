-- Portaria PRES/INSS 1.839/2025, Anexo II, R403, R404, R405, R406, R407 and R429,
-- with Quadro 2.2.1 and art. 3º, parágrafo único (redação da Portaria 1.854/2025):
-- the payee's acts must happen "fora do horário previsto ou realizado no Sisref",
-- whatever the PGD pact. Contract 2: an act at t is in ordinary hours when
-- start_at <= t < end_at for a previsto/realizado interval of the payee (matched
-- on timestamps, so night shifts crossing midnight count), or the payee has an
-- occurrence on date(t) whose code blocks extraordinary work. Only the payee's
-- own acts count. One row per (act, interval or occurrence that makes it ordinary).
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

payee_conclusions as (

    select
        task_id,
        payee_siape,
        'conclusion' as act_kind,
        cast(null as varchar) as act_id,
        cast(null as varchar) as act_nb,
        concluded_at as act_at
    from evaluated_tasks

),

payee_task_events as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        task_events.event_type as act_kind,
        task_events.event_id as act_id,
        cast(null as varchar) as act_nb,
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
        'dispatch' as act_kind,
        sub_dispatches.dispatch_id as act_id,
        sub_dispatches.nb as act_nb,
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
        'assignment' as act_kind,
        cast(null as varchar) as act_id,
        cast(null as varchar) as act_nb,
        task_assignments.assigned_at as act_at
    from evaluated_tasks
    inner join task_assignments
        on
            evaluated_tasks.task_id = task_assignments.task_id
            and evaluated_tasks.payee_siape = task_assignments.siape

),

payee_acts_stacked as (

    select * from payee_conclusions
    union all
    select * from payee_task_events
    union all
    select * from payee_dispatches
    union all
    select * from payee_assignments

),

payee_acts as (

    select
        *,
        cast(act_at as date) as act_on
    from payee_acts_stacked

),

-- Each interval listed under every calendar day it touches, so the join is an
-- equi-join on (siape, day) with the exact time test as a residual: still exact
-- across midnight, and far cheaper than matching on siape alone.
sisref_intervals_by_day as (

    select
        siape,
        kind,
        work_date,
        start_at,
        end_at,
        cast(
            unnest(
                generate_series(
                    cast(start_at as date),
                    -- half-open: an interval ending at 00:00 does not touch that day
                    cast(end_at - interval 1 microsecond as date),
                    interval 1 day
                )
            ) as date
        ) as touched_on
    from sisref_intervals
    where kind in ('previsto', 'realizado') and end_at > start_at

),

acts_within_sisref_intervals as (

    select
        payee_acts.task_id,
        payee_acts.payee_siape,
        payee_acts.act_kind,
        payee_acts.act_id,
        payee_acts.act_nb,
        payee_acts.act_at,
        'sisref_interval' as ordinary_hours_source,
        sisref_intervals_by_day.kind as interval_kind,
        sisref_intervals_by_day.start_at as interval_start_at,
        sisref_intervals_by_day.end_at as interval_end_at,
        sisref_intervals_by_day.work_date as interval_work_date,
        cast(null as varchar) as occurrence_code,
        cast(null as varchar) as occurrence_description
    from payee_acts
    inner join sisref_intervals_by_day
        on
            payee_acts.payee_siape = sisref_intervals_by_day.siape
            and payee_acts.act_on = sisref_intervals_by_day.touched_on
            and payee_acts.act_at >= sisref_intervals_by_day.start_at
            and payee_acts.act_at < sisref_intervals_by_day.end_at

),

blocking_occurrences as (

    select
        sisref_occurrences.siape,
        sisref_occurrences.occurrence_date,
        sisref_occurrences.occurrence_code,
        sisref_codes.description
    from sisref_occurrences
    inner join sisref_codes
        on sisref_occurrences.occurrence_code = sisref_codes.occurrence_code
    where sisref_codes.blocks_extraordinary_work

),

acts_on_blocking_occurrence_days as (

    select
        payee_acts.task_id,
        payee_acts.payee_siape,
        payee_acts.act_kind,
        payee_acts.act_id,
        payee_acts.act_nb,
        payee_acts.act_at,
        'blocking_occurrence' as ordinary_hours_source,
        cast(null as varchar) as interval_kind,
        cast(null as timestamp) as interval_start_at,
        cast(null as timestamp) as interval_end_at,
        cast(null as date) as interval_work_date,
        blocking_occurrences.occurrence_code,
        blocking_occurrences.description as occurrence_description
    from payee_acts
    inner join blocking_occurrences
        on
            payee_acts.payee_siape = blocking_occurrences.siape
            and payee_acts.act_on = blocking_occurrences.occurrence_date

),

final as (

    select * from acts_within_sisref_intervals
    union all
    select * from acts_on_blocking_occurrence_days

)

select * from final
