-- The month's payment per professional, the one place amounts are summed:
-- one row per (payee, reference month) with an evaluated task. The close
-- package's payments.csv and the previews of `pgb run` read it as it is.
-- Incremental by month: a run sums again the months where fct_task_payments
-- wrote rows in this run, and the run's own months (a payee whose last task
-- left the delivery leaves the month too).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        full_refresh=false,
        pre_hook="{{ delete_payee_months_to_sum_again() }}"
    )
}}
with

task_payments as (

    select * from {{ ref('fct_task_payments') }}
    where {{ in_month_to_sum_again('reference_month') }}

),

professionals as (

    select * from {{ ref('stg_siape__professionals') }}

),

payee_months as (

    select
        payee_siape,
        reference_month,
        count(*) filter (where outcome = 'approved') as approved_tasks,
        count(*) filter (where outcome = 'rejected') as rejected_tasks,
        count(*) filter (where outcome = 'held') as held_tasks,
        cast(sum(due_amount) as decimal(18, 2)) as due_amount,
        cast(sum(capped_amount) as decimal(18, 2)) as capped_amount,
        cast(sum(payable_amount) as decimal(18, 2)) as amount
    from task_payments
    group by payee_siape, reference_month

),

final as (

    select
        payee_months.payee_siape,
        payee_months.reference_month,
        professionals.name as payee_name,
        professionals.unit_code as payee_unit_code,
        payee_months.approved_tasks,
        payee_months.rejected_tasks,
        payee_months.held_tasks,
        payee_months.due_amount,
        payee_months.capped_amount,
        payee_months.amount
    from payee_months
    left join professionals
        on payee_months.payee_siape = professionals.siape

)

select * from final
