-- Portaria PRES/INSS nº 1.839/2025, Anexo II (redação da Portaria 1.854/2025) and
-- contract 5: one row per task and rule that rejects it, with the evidence a
-- payroll officer can check against the source systems, and the rule's title and
-- legal source as ref_rules states them. Partitioned like fct_task_evaluations:
-- a month's run rewrites that month's rows and, for the rules across months, the
-- rows of every task sharing an NB with the month's tasks.
-- full_refresh=false: --full-refresh (Dagster passes it for the seeds) never drops
-- the history; a run over every month replaces every row through the pre-hook.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        full_refresh=false,
        pre_hook=[
            "{{ delete_violations_this_run_replaces() }}",
            "{{ delete_violations_across_months_this_run_revises() }}",
        ]
    )
}}
with

rule_violations as (

    select * from {{ ref('int_tasks__rule_violations') }}

),

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

nb_reuse_scope as (

    select * from {{ ref('int_tasks__nb_reuse_scope') }}

),

rules as (

    select * from {{ ref('stg_reference__rules') }}

),

-- Payee and month of every task the run judged: this month's tasks, and the
-- tasks of other months the rules across months judged again.
tasks_judged as (

    select
        task_id,
        payee_siape,
        reference_month
    from evaluated_tasks
    union
    select
        task_id,
        payee_siape,
        reference_month
    from nb_reuse_scope

),

final as (

    select
        rule_violations.task_id,
        rule_violations.rule_code,
        rule_violations.evidence,
        tasks_judged.payee_siape,
        tasks_judged.reference_month,
        rules.title as rule_title,
        rules.legal_source
    from rule_violations
    inner join tasks_judged
        on rule_violations.task_id = tasks_judged.task_id
    left join rules
        on rule_violations.rule_code = rules.rule_code

)

select * from final
