-- Portaria PRES/INSS nº 1.839/2025, Anexo II (redação da Portaria 1.854/2025) and
-- contract 5: one row per task and rule that rejects it, with the evidence a
-- payroll officer can check against the source systems, and the rule's title and
-- legal source as ref_rules states them.
with

rule_violations as (

    select * from {{ ref('int_tasks__rule_violations') }}

),

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

rules as (

    select * from {{ ref('stg_reference__rules') }}

),

final as (

    select
        rule_violations.task_id,
        rule_violations.rule_code,
        rule_violations.evidence,
        evaluated_tasks.payee_siape,
        evaluated_tasks.reference_month,
        rules.title as rule_title,
        rules.legal_source
    from rule_violations
    inner join evaluated_tasks
        on rule_violations.task_id = evaluated_tasks.task_id
    left join rules
        on rule_violations.rule_code = rules.rule_code

)

select * from final
