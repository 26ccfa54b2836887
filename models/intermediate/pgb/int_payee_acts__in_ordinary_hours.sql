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

-- Each interval listed under every calendar day it touches, so the joins are
-- equi-joins on (siape, day) with the exact time test as a residual: still
-- exact across midnight, and far cheaper than matching on siape alone.
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

-- Every professional's ordinary periods by day: the intervals as they are, and
-- a blocking occurrence as its whole day [00:00, next 00:00), so that "an act
-- on date(t)" is the same half-open test as an interval's.
ordinary_periods_by_day as (

    select
        siape,
        touched_on,
        start_at as period_start_at,
        end_at as period_end_at,
        'sisref_interval' as ordinary_hours_source,
        kind as interval_kind,
        start_at as interval_start_at,
        end_at as interval_end_at,
        work_date as interval_work_date,
        cast(null as varchar) as occurrence_code,
        cast(null as varchar) as occurrence_description
    from sisref_intervals_by_day

    union all

    select
        siape,
        occurrence_date as touched_on,
        cast(occurrence_date as timestamp) as period_start_at,
        cast(occurrence_date as timestamp) + interval 1 day as period_end_at,
        'blocking_occurrence' as ordinary_hours_source,
        cast(null as varchar) as interval_kind,
        cast(null as timestamp) as interval_start_at,
        cast(null as timestamp) as interval_end_at,
        cast(null as date) as interval_work_date,
        occurrence_code,
        description as occurrence_description
    from blocking_occurrences

),

-- The acts of every professional, not yet tied to an evaluated task, and the
-- conclusion of each evaluated task (R404: its payee's act by definition,
-- concluded_by). They are matched to their author's ordinary periods first:
-- that join keeps a few thousand of the millions of acts, and only those are
-- matched to the tasks whose payee made them (evidence is built for the rows
-- that survive).
authored_acts as (

    select
        task_id,
        cast(null as varchar) as act_nb,
        payee_siape as siape,
        'conclusion' as act_kind,
        cast(null as varchar) as act_id,
        concluded_at as act_at
    from evaluated_tasks

    union all

    select
        task_id,
        cast(null as varchar) as act_nb,
        siape,
        event_type as act_kind,
        event_id as act_id,
        occurred_at as act_at
    from task_events
    where event_type in ('status_change', 'subtask_created', 'comment', 'attachment')

    union all

    select
        task_id,
        cast(null as varchar) as act_nb,
        siape,
        'assignment' as act_kind,
        cast(null as varchar) as act_id,
        assigned_at as act_at
    from task_assignments

    union all

    -- R406 counts non-automatic dispatches only.
    select
        cast(null as varchar) as task_id,
        nb as act_nb,
        siape,
        'dispatch' as act_kind,
        dispatch_id as act_id,
        dispatched_at as act_at
    from sub_dispatches
    where not coalesce(is_automatic, false)

),

authored_acts_in_ordinary_periods as (

    select
        authored_acts.task_id,
        authored_acts.act_nb,
        authored_acts.siape,
        authored_acts.act_kind,
        authored_acts.act_id,
        authored_acts.act_at,
        ordinary_periods_by_day.ordinary_hours_source,
        ordinary_periods_by_day.interval_kind,
        ordinary_periods_by_day.interval_start_at,
        ordinary_periods_by_day.interval_end_at,
        ordinary_periods_by_day.interval_work_date,
        ordinary_periods_by_day.occurrence_code,
        ordinary_periods_by_day.occurrence_description
    from authored_acts
    inner join ordinary_periods_by_day
        on
            authored_acts.siape = ordinary_periods_by_day.siape
            and cast(authored_acts.act_at as date) = ordinary_periods_by_day.touched_on
            and authored_acts.act_at >= ordinary_periods_by_day.period_start_at
            and authored_acts.act_at < ordinary_periods_by_day.period_end_at

),

-- R403, R404, R405, R407 and R429: the conclusion, events and assignments on
-- the task, by its payee.
task_acts_in_ordinary_periods as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        acts.act_kind,
        acts.act_id,
        acts.act_nb,
        acts.act_at,
        acts.ordinary_hours_source,
        acts.interval_kind,
        acts.interval_start_at,
        acts.interval_end_at,
        acts.interval_work_date,
        acts.occurrence_code,
        acts.occurrence_description
    from evaluated_tasks
    inner join authored_acts_in_ordinary_periods as acts
        on
            evaluated_tasks.task_id = acts.task_id
            and evaluated_tasks.payee_siape = acts.siape

),

-- R406: dispatches by the payee on the task's NB while the task was open,
-- created_at <= dispatched_at <= concluded_at.
dispatches_in_ordinary_periods as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        acts.act_kind,
        acts.act_id,
        acts.act_nb,
        acts.act_at,
        acts.ordinary_hours_source,
        acts.interval_kind,
        acts.interval_start_at,
        acts.interval_end_at,
        acts.interval_work_date,
        acts.occurrence_code,
        acts.occurrence_description
    from evaluated_tasks
    inner join authored_acts_in_ordinary_periods as acts
        on
            evaluated_tasks.nb = acts.act_nb
            and evaluated_tasks.payee_siape = acts.siape
            and evaluated_tasks.created_at <= acts.act_at
            and evaluated_tasks.concluded_at >= acts.act_at

),

final as (

    select * from task_acts_in_ordinary_periods
    union all
    select * from dispatches_in_ordinary_periods

)

select * from final
