{#-
  The cap period a task's payment counts in, as (payee_siape, this date): 1
  January of its year under a yearly cap, its reference month otherwise (a
  monthly cap, or no cap: then the task's payment depends on no other task).
  A task's payable amount depends only on the tasks of its period, so a run
  recomputes whole periods and nothing else.
-#}
{% macro payment_period_start(reference_month, cap_amount, cap_period) -%}
    case
        when {{ cap_amount }} is not null and {{ cap_period }} = 'yearly'
            then cast(date_trunc('year', {{ reference_month }}) as date)
        else {{ reference_month }}
    end
{%- endmacro %}

{#-
  Name of the session's temporary table listing the payment periods this run
  of fct_task_payments recomputes (written by its first pre-hook, read by its
  second pre-hook and by the model).
-#}
{% macro payment_periods_to_recompute() -%}
    pgb_payment_periods_to_recompute
{%- endmacro %}

{#-
  Pre-hooks of fct_task_payments in an incremental run. (1) The periods to
  recompute: those of the evaluations written since the verdicts the table last
  used (the run's months, and earlier tasks a rule across months revised), and
  those of the table's rows that may be stale (the run's months, where a task
  may have left the delivery, and the revised tasks, whose payee may have
  changed). (2) Delete the table's rows of those periods; the model inserts
  them again, whole. Nothing to do on a first build.
-#}
{% macro find_payment_periods_to_recompute() -%}
    {%- if is_incremental() -%}
        create or replace temporary table {{ payment_periods_to_recompute() }} as
        with
        last_verdict_used as (
            select max(verdict_written_at) as written_at from {{ this }}
        ),
        changed_evaluations as (
            select
                evaluations.task_id,
                evaluations.payee_siape,
                {{ payment_period_start(
                    'evaluations.reference_month', 'parameters_by_day.cap_per_professional', 'parameters_by_day.cap_period'
                ) }} as payment_period_start
            from {{ ref('fct_task_evaluations') }} as evaluations
            cross join last_verdict_used
            left join {{ ref('int_parameters__in_force_by_day') }} as parameters_by_day
                on cast(evaluations.concluded_at as date) = parameters_by_day.day
            where last_verdict_used.written_at is null or evaluations.verdict_written_at > last_verdict_used.written_at
        )
        select payee_siape, payment_period_start from changed_evaluations
        union
        select payee_siape, payment_period_start
        from {{ this }}
        where {{ in_month_of_this_run('reference_month') }}
        union
        -- The changed tasks' rows in any month: key_in_keys_of skips the row
        -- groups outside their ids instead of probing 24 months of task ids.
        select payee_siape, payment_period_start
        from {{ this }}
        where {{ key_in_keys_of('task_id', 'changed_evaluations') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro delete_payment_periods_to_recompute() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where exists (
            select 1
            from {{ payment_periods_to_recompute() }} as to_recompute
            where
                to_recompute.payee_siape = {{ this }}.payee_siape
                and to_recompute.payment_period_start = {{ this }}.payment_period_start
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The months fct_payee_month_payments sums again: those where fct_task_payments
  wrote rows in its last run, and the months of this run.
-#}
{% macro in_month_to_sum_again(month_column) -%}
    {%- if not is_incremental() -%}
        {{ return('true') }}
    {%- endif %}
    (
        {{ in_month_of_this_run(month_column) }}
        or {{ month_column }} in (
            select distinct reference_month
            from {{ ref('fct_task_payments') }}
            where payment_written_at = (select max(payment_written_at) from {{ ref('fct_task_payments') }})
        )
    )
{%- endmacro %}

{% macro delete_payee_months_to_sum_again() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_month_to_sum_again('reference_month') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- fct_task_payments reads the verdicts of these months only (a yearly period: its twelve months). -#}
{% macro in_month_of_payment_periods_to_recompute(month_column) -%}
    {%- if is_incremental() -%}
        {{ month_column }} in (
            select distinct cast(unnest(generate_series(
                payment_period_start,
                case
                    when payment_period_start = cast(date_trunc('year', payment_period_start) as date)
                        then cast(payment_period_start + interval 11 month as date)
                    else payment_period_start
                end,
                interval 1 month
            )) as date)
            from {{ payment_periods_to_recompute() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro in_payment_period_to_recompute(payee_column, period_column) -%}
    {%- if is_incremental() -%}
        exists (
            select 1
            from {{ payment_periods_to_recompute() }} as to_recompute
            where to_recompute.payee_siape = {{ payee_column }} and to_recompute.payment_period_start = {{ period_column }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
  The hash of a task's standing (task, outcome, amount paid), stored with each
  row of fct_task_payments. The close sums it per reference month and compares
  the sums with the close ledger's, which hashes its rows by the same
  expression (payroll/ledger_copies.py STANDING_HASH_SQL; a test checks they
  agree): only the months whose sums differ are joined with the ledger.
-#}
{% macro standing_hash(task_column, outcome_column, amount_column) -%}
    hash(cast({{ task_column }} as varchar), cast({{ outcome_column }} as varchar), cast({{ amount_column }} as decimal(18, 2)))
{%- endmacro %}
