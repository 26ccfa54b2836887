-- Portaria PRES/INSS 1.839/2025, Anexo II (redação da Portaria 1.854/2025):
-- one row per task and rule that rejects it, with the evidence a payroll officer
-- can check against the source systems, and the rule's title and legal source.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
with

task_rule_results as (

    select * from {{ ref('int_tasks__rule_results') }}

),

rules as (

    select * from {{ ref('stg_reference__rules') }}

),

fired_rules as (

    {%- for rule in rules %}
    select
        task_id,
        payee_siape,
        reference_month,
        '{{ rule.code }}' as rule_code,
        {{ rule.code | lower }}_evidence as evidence
    from task_rule_results
    where {{ rule.code | lower }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

final as (

    select
        fired_rules.task_id,
        fired_rules.rule_code,
        fired_rules.evidence,
        fired_rules.payee_siape,
        fired_rules.reference_month,
        rules.title as rule_title,
        rules.legal_source
    from fired_rules
    left join rules
        on fired_rules.rule_code = rules.rule_code

)

select * from final
