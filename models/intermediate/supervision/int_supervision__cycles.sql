-- Legal basis: Portaria nº 916/2021 (DOU 13/08/2021), "Supervisão das APS – Retorno Gradual e Seguro" (service 14615):
-- bimonthly supervision cycles, the first starting on 1 October 2021, with 30 days to supervise in each cycle.
--
-- The cycle calendar, built from the parameters in force on each cycle's start
-- (int_parameters__in_force_by_day, the one typed reading of ref_parameters):
--   * aps_cycle_first_start: the calendar's anchor (cycle 1). A later row (a later act) whose value is in force
--     on that day restarts the calendar on it: the cycle running then is cut short and the next one starts there.
--   * aps_cycle_months: months from a cycle's start to the next cycle's start (value in force on the earlier start).
--   * aps_cycle_window_days: cycle_deadline = cycle_start + this many days (contract section 5: cycle 1 runs from
--     2021-10-01 to 2021-10-31, both days inclusive).
-- Cycles run up to the last one whose start is on or before the newest created_at date of the supervision tasks
-- (contract section 5); with no supervision task there is no cycle.
with recursive

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

supervision_tasks as (

    select * from {{ ref('stg_get__supervision_tasks') }}

),

newest_task_date as (

    select max(cast(created_at as date)) as newest_created_on
    from supervision_tasks

),

calendar_anchors as (

    -- an anchor counts only if the value in force on the day it names is that day
    select distinct aps_cycle_first_start as anchor_start
    from parameters_by_day
    where day = aps_cycle_first_start

),

ordered_anchors as (

    select
        anchor_start,
        lead(anchor_start) over (order by anchor_start) as next_anchor_start
    from calendar_anchors

),

first_anchor as (

    select min(anchor_start) as first_anchor_start
    from calendar_anchors

),

cycle_lengths as (

    select
        day,
        aps_cycle_months as cycle_months,
        aps_cycle_months_legal_source as legal_source
    from parameters_by_day
    where aps_cycle_months >= 1

),

window_lengths as (

    select
        day,
        aps_cycle_window_days as window_days,
        aps_cycle_window_days_legal_source as legal_source
    from parameters_by_day
    where aps_cycle_window_days >= 0

),

cycle_starts (cycle_number, cycle_start) as (

    select
        1 as cycle_number,
        first_anchor_start as cycle_start
    from first_anchor
    where first_anchor_start is not null

    union all

    -- next start: this start + the months in force on it, unless a new anchor comes first.
    -- Recursion goes one cycle past the newest task date; final drops that one.
    select
        cycle_starts.cycle_number + 1 as cycle_number,
        case
            when
                ordered_anchors.next_anchor_start is not null
                and ordered_anchors.next_anchor_start
                < cast(cycle_starts.cycle_start + to_months(cycle_lengths.cycle_months) as date)
                then ordered_anchors.next_anchor_start
            else cast(cycle_starts.cycle_start + to_months(cycle_lengths.cycle_months) as date)
        end as cycle_start
    from cycle_starts
    cross join newest_task_date
    inner join cycle_lengths
        on cycle_starts.cycle_start = cycle_lengths.day
    inner join ordered_anchors
        on
            cycle_starts.cycle_start >= ordered_anchors.anchor_start
            and (
                ordered_anchors.next_anchor_start is null
                or cycle_starts.cycle_start < ordered_anchors.next_anchor_start
            )
    where cycle_starts.cycle_start <= newest_task_date.newest_created_on

),

cycles_with_deadline as (

    select
        cycle_starts.cycle_number,
        cycle_starts.cycle_start,
        cycle_starts.cycle_start + window_lengths.window_days as cycle_deadline,
        cycle_lengths.cycle_months,
        window_lengths.window_days,
        window_lengths.legal_source as window_legal_source,
        cycle_lengths.legal_source as cycle_months_legal_source
    from cycle_starts
    cross join newest_task_date
    left join window_lengths
        on cycle_starts.cycle_start = window_lengths.day
    left join cycle_lengths
        on cycle_starts.cycle_start = cycle_lengths.day
    where cycle_starts.cycle_start <= newest_task_date.newest_created_on

),

final as (

    select
        cycle_number,
        cycle_start,
        cycle_deadline,
        cycle_months,
        window_days,
        window_legal_source,
        cycle_months_legal_source
    from cycles_with_deadline

)

select * from final
