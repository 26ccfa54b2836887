-- Hand-written baseline of the ordinary-hours rules R403, R404, R405, R406,
-- R407 and R429 (contract sections 2-3) for one reference month, read straight
-- from the export files: the yardstick the dbt rule models are timed against.
-- scripts/ordinary_hours_baseline.py defines the relations raw_* and ref_*
-- over the files and the variable month_start (first day of the month).
-- Returns the (task_id, rule_code) pairs that fire.
with

program_starts as (

    select
        cast(value as date) as program_start,
        effective_from,
        effective_to
    from ref_parameters
    where name = 'program_start'

),

month_tasks as (

    select
        task_id,
        nullif(trim(nb), '') as nb,
        created_at,
        concluded_at,
        concluded_by as payee_siape
    from raw_tasks
    where
        queue_type = 'extraordinaria'
        and status = 'concluida'
        and concluded_at >= getvariable('month_start')
        and concluded_at < getvariable('month_start') + interval 1 month

),

-- Contract 2: evaluated when concluded on or after the program start in force
-- that day (validity dates inclusive), else the earliest one.
evaluated_tasks as (

    select month_tasks.*
    from month_tasks
    left join program_starts
        on
            cast(month_tasks.concluded_at as date) >= program_starts.effective_from
            and cast(month_tasks.concluded_at as date) <= coalesce(program_starts.effective_to, date '9999-12-31')
    where
        month_tasks.concluded_at >= coalesce(
            program_starts.program_start,
            (select min_by(earliest.program_start, earliest.effective_from) from program_starts as earliest)
        )

),

-- Only the payee's own acts count (contract 2, "The payee's acts").
payee_acts as (

    select
        task_id,
        payee_siape,
        'R404' as rule_code,
        concluded_at as act_at
    from evaluated_tasks

    union all

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        case events.event_type
            when 'status_change' then 'R403'
            when 'subtask_created' then 'R405'
            else 'R407'
        end as rule_code,
        events.occurred_at as act_at
    from evaluated_tasks
    inner join raw_task_events as events
        on
            evaluated_tasks.task_id = events.task_id
            and evaluated_tasks.payee_siape = events.siape
    where events.event_type in ('status_change', 'subtask_created', 'comment', 'attachment')

    union all

    -- R406: non-automatic dispatches by the payee on the task's NB,
    -- created_at <= dispatched_at <= concluded_at.
    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        'R406' as rule_code,
        dispatches.dispatched_at as act_at
    from evaluated_tasks
    inner join raw_sub_dispatches as dispatches
        on
            evaluated_tasks.nb = nullif(trim(dispatches.nb), '')
            and evaluated_tasks.payee_siape = dispatches.siape
            and evaluated_tasks.created_at <= dispatches.dispatched_at
            and evaluated_tasks.concluded_at >= dispatches.dispatched_at
    where not coalesce(dispatches.is_automatic, false)

    union all

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        'R429' as rule_code,
        assignments.assigned_at as act_at
    from evaluated_tasks
    inner join raw_task_assignments as assignments
        on
            evaluated_tasks.task_id = assignments.task_id
            and evaluated_tasks.payee_siape = assignments.siape

),

-- Every previsto/realizado interval listed under each calendar day it
-- touches, so that acts join on (siape, day): a night shift crossing midnight
-- is found from both days. end_at is exclusive: an interval ending exactly at
-- midnight does not touch the next day.
interval_days as (

    select
        siape,
        start_at,
        end_at,
        cast(unnest(generate_series(
            cast(start_at as date), cast(end_at - interval 1 microsecond as date), interval 1 day
        )) as date) as touched_day
    from raw_sisref_intervals
    where kind in ('previsto', 'realizado')

),

blocking_days as (

    select distinct
        occurrences.siape,
        occurrences.occurrence_date
    from raw_sisref_occurrences as occurrences
    inner join ref_sisref_codes as codes
        on occurrences.occurrence_code = codes.occurrence_code
    where codes.blocks_extraordinary_work

),

-- Half-open [start_at, end_at).
acts_in_intervals as (

    select
        payee_acts.task_id,
        payee_acts.rule_code
    from payee_acts
    inner join interval_days
        on
            payee_acts.payee_siape = interval_days.siape
            and cast(payee_acts.act_at as date) = interval_days.touched_day
            and payee_acts.act_at >= interval_days.start_at
            and payee_acts.act_at < interval_days.end_at

),

-- A blocking occurrence makes the whole day ordinary.
acts_on_blocking_days as (

    select
        payee_acts.task_id,
        payee_acts.rule_code
    from payee_acts
    inner join blocking_days
        on
            payee_acts.payee_siape = blocking_days.siape
            and cast(payee_acts.act_at as date) = blocking_days.occurrence_date

)

select distinct
    task_id,
    rule_code
from (
    select * from acts_in_intervals
    union all
    select * from acts_on_blocking_days
) as fired
order by task_id, rule_code
