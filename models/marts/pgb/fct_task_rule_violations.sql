-- Portaria PRES/INSS 1.839/2025, Anexo II (redação da Portaria 1.854/2025):
-- one row per task and rule that rejects it, with the evidence a payroll officer
-- can check against the source systems, and the rule's title and legal source.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
{%- set rule_models = rules | map(attribute='model') | unique | list %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

{% for rule_model in rule_models %}
{{ rule_model }} as (

    select * from {{ ref(rule_model) }}

),

{% endfor %}
rules as (

    select * from {{ ref('stg_reference__rules') }}

),

fired_rules as (

    {%- for rule in rules %}
    select
        task_id,
        '{{ rule.code }}' as rule_code,
        {{ rule.code | lower }}_evidence as evidence
    from {{ rule.model }}
    where {{ rule.code | lower }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

final as (

    select
        fired_rules.task_id,
        fired_rules.rule_code,
        fired_rules.evidence,
        evaluated_tasks.payee_siape,
        evaluated_tasks.reference_month,
        rules.title as rule_title,
        rules.legal_source
    from fired_rules
    inner join evaluated_tasks
        on fired_rules.task_id = evaluated_tasks.task_id
    left join rules
        on fired_rules.rule_code = rules.rule_code

)

select * from final
