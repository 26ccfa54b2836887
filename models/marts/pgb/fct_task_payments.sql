-- Contract 4 and README "The per-professional cap": what each evaluated task is
-- paid once the optional per-professional cap applies. The cap in force on the
-- task's conclusion day applies (pepgb_cap_per_professional, empty = no cap),
-- over its period (pepgb_cap_period: the reference month, or the calendar year).
-- Within a period a professional's approved tasks are paid in (concluded_at,
-- task_id) order until the cap is reached: the task that crosses it is paid the
-- remainder, later ones nothing. Tasks concluded while no cap is in force are
-- paid in full and do not use up a later cap.
-- Incremental by payment period (macros/pgb_payments.sql): a run recomputes
-- whole periods, those its new or revised verdicts touch, so month 24 costs
-- what month 1 costs; a first build computes every period.
-- full_refresh=false: --full-refresh never drops the table (as the other marts).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        full_refresh=false,
        pre_hook=[
            "{{ find_payment_periods_to_recompute() }}",
            "{{ delete_payment_periods_to_recompute() }}",
        ]
    )
}}
with recursive

task_evaluations as (

    select * from {{ ref('fct_task_evaluations') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

-- An incremental run reads only the months of the periods it recomputes.
evaluations_to_pay as (

    select * from task_evaluations
    where {{ in_month_of_payment_periods_to_recompute('task_evaluations.reference_month') }}

),

evaluations_with_cap_in_force as (

    select
        evaluations_to_pay.task_id,
        evaluations_to_pay.payee_siape,
        evaluations_to_pay.reference_month,
        evaluations_to_pay.concluded_at,
        evaluations_to_pay.outcome,
        evaluations_to_pay.payment_amount as due_amount,
        evaluations_to_pay.verdict_written_at,
        parameters_by_day.cap_per_professional,
        parameters_by_day.cap_period,
        {{ payment_period_start(
            'evaluations_to_pay.reference_month', 'parameters_by_day.cap_per_professional', 'parameters_by_day.cap_period'
        ) }} as payment_period_start
    from evaluations_to_pay
    left join parameters_by_day
        on cast(evaluations_to_pay.concluded_at as date) = parameters_by_day.day

),

tasks_with_cap_in_force as (

    select * from evaluations_with_cap_in_force
    where
        {{ in_payment_period_to_recompute(
            'evaluations_with_cap_in_force.payee_siape', 'evaluations_with_cap_in_force.payment_period_start'
        ) }}

),

-- A cap without a valid period (or a negative one) stops the build: public
-- sources disagree on monthly or yearly, and the pipeline never picks one.
tasks_with_valid_cap as (

    select
        task_id,
        payee_siape,
        reference_month,
        concluded_at,
        outcome,
        due_amount,
        verdict_written_at,
        payment_period_start,
        case
            when cap_per_professional is null then null
            when cap_per_professional < 0
                then error(
                    'ref_parameters: pepgb_cap_per_professional = ' || cast(cap_per_professional as varchar)
                    || ' in force on ' || strftime(concluded_at, '%Y-%m-%d') || ' (task ' || task_id
                    || ') is negative'
                )
            when cap_period is null or cap_period not in ('monthly', 'yearly')
                then error(
                    'ref_parameters: pepgb_cap_per_professional is set to ' || cast(cap_per_professional as varchar)
                    || ' on ' || strftime(concluded_at, '%Y-%m-%d') || ' (task ' || task_id
                    || ') but pepgb_cap_period is ''' || coalesce(cap_period, '')
                    || ''': set pepgb_cap_period to monthly or yearly in '
                    || 'seeds/ref_parameters.csv (public sources disagree; the pipeline does not choose for you)'
                )
            else cap_per_professional
        end as cap_amount,
        case when cap_per_professional is not null then cap_period end as cap_period
    from tasks_with_cap_in_force

),

-- Approved tasks under a cap, each in its cap period: (payee, period kind, first day).
capped_tasks as (

    select
        task_id,
        payee_siape,
        concluded_at,
        due_amount,
        cap_amount,
        cap_period,
        case
            when cap_period = 'yearly' then cast(date_trunc('year', reference_month) as date)
            else reference_month
        end as cap_period_start
    from tasks_with_valid_cap
    where cap_amount is not null and due_amount > 0

),

-- In (concluded_at, task_id) order within each period: what the period's
-- earlier tasks were due, and whether the cap amount changes here (a new
-- parameter version).
capped_tasks_in_order as (

    select
        *,
        coalesce(sum(due_amount) over period_order_before, 0) as period_due_before,
        coalesce(lag(cap_amount) over period_order <> cap_amount, true) as starts_run
    from capped_tasks
    window
        period_order as (partition by payee_siape, cap_period, cap_period_start order by concluded_at, task_id),
        period_order_before as (
            partition by payee_siape, cap_period, cap_period_start
            order by concluded_at, task_id
            rows between unbounded preceding and 1 preceding
        )

),

-- A run is a stretch of consecutive tasks of one period under the same cap
-- amount. Amounts due only grow, so the largest period_due_before at a run
-- start so far is the current run's.
capped_tasks_in_runs as (

    select
        *,
        sum(case when starts_run then 1 else 0 end) over period_order_so_far as run_number,
        max(case when starts_run then period_due_before end) over period_order_so_far as period_due_before_run
    from capped_tasks_in_order
    window period_order_so_far as (
        partition by payee_siape, cap_period, cap_period_start
        order by concluded_at, task_id
        rows between unbounded preceding and current row
    )

),

runs as (

    select
        payee_siape,
        cap_period,
        cap_period_start,
        run_number,
        any_value(cap_amount) as cap_amount,
        sum(due_amount) as run_due_amount
    from capped_tasks_in_runs
    group by payee_siape, cap_period, cap_period_start, run_number

),

-- What the period has paid before each run. Under one cap amount the paid
-- total grows by the run's amounts due up to the cap; a later, lower cap pays
-- nothing more, a later, higher one pays up to the new cap. One step per run
-- (parameter version), not per task.
paid_before_runs as (

    select
        payee_siape,
        cap_period,
        cap_period_start,
        run_number,
        cap_amount,
        run_due_amount,
        cast(0 as decimal(18, 2)) as paid_before_run
    from runs
    where run_number = 1

    union all

    select
        next_run.payee_siape,
        next_run.cap_period,
        next_run.cap_period_start,
        next_run.run_number,
        next_run.cap_amount,
        next_run.run_due_amount,
        cast(
            case
                when previous_run.cap_amount <= previous_run.paid_before_run then previous_run.paid_before_run
                else least(previous_run.paid_before_run + previous_run.run_due_amount, previous_run.cap_amount)
            end as decimal(18, 2)
        ) as paid_before_run
    from paid_before_runs as previous_run
    inner join runs as next_run
        on
            previous_run.payee_siape = next_run.payee_siape
            and previous_run.cap_period = next_run.cap_period
            and previous_run.cap_period_start = next_run.cap_period_start
            and previous_run.run_number + 1 = next_run.run_number

),

-- Each task gets what is left of its run's cap after the period's earlier
-- runs and the run's earlier tasks, at most its amount due.
capped_payments as (

    select
        capped_tasks_in_runs.task_id,
        capped_tasks_in_runs.cap_period_start,
        greatest(
            least(
                capped_tasks_in_runs.due_amount,
                capped_tasks_in_runs.cap_amount
                - paid_before_runs.paid_before_run
                - (capped_tasks_in_runs.period_due_before - capped_tasks_in_runs.period_due_before_run)
            ),
            0
        ) as payable_amount
    from capped_tasks_in_runs
    inner join paid_before_runs
        on
            capped_tasks_in_runs.payee_siape = paid_before_runs.payee_siape
            and capped_tasks_in_runs.cap_period = paid_before_runs.cap_period
            and capped_tasks_in_runs.cap_period_start = paid_before_runs.cap_period_start
            and capped_tasks_in_runs.run_number = paid_before_runs.run_number

),

final as (

    select
        tasks_with_valid_cap.task_id,
        tasks_with_valid_cap.payee_siape,
        tasks_with_valid_cap.reference_month,
        tasks_with_valid_cap.concluded_at,
        tasks_with_valid_cap.outcome,
        tasks_with_valid_cap.due_amount,
        cast(
            coalesce(capped_payments.payable_amount, tasks_with_valid_cap.due_amount) as decimal(18, 2)
        ) as payable_amount,
        cast(
            tasks_with_valid_cap.due_amount
            - coalesce(capped_payments.payable_amount, tasks_with_valid_cap.due_amount) as decimal(18, 2)
        ) as capped_amount,
        tasks_with_valid_cap.cap_amount,
        tasks_with_valid_cap.cap_period,
        capped_payments.cap_period_start,
        tasks_with_valid_cap.payment_period_start,
        tasks_with_valid_cap.verdict_written_at,
        cast(current_timestamp as timestamp) as payment_written_at
    from tasks_with_valid_cap
    left join capped_payments
        on tasks_with_valid_cap.task_id = capped_payments.task_id

)

-- The row's standing hash, summed per month by the close (see standing_hash).
select
    *,
    {{ standing_hash('task_id', 'outcome', 'payable_amount') }} as standing_hash
from final
