-- Portaria PRES/INSS nº 1.839/2025, Anexo II (redação da Portaria 1.854/2025):
-- every rule model stacked, one row per (task, rule that rejects it) with its
-- evidence. The rule list is derived from the rule models (macros/pgb_rules.sql),
-- so a new rule appears here, in both marts and in rejection_rules by itself.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
with

{% for rule in rules %}
{{ rule.model }} as (

    select * from {{ ref(rule.model) }}

),

{% endfor %}
final as (

    {%- for rule in rules %}
    select
        task_id,
        '{{ rule.code }}' as rule_code,
        evidence
    from {{ rule.model }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
    {%- if not rules %}
    select
        cast(null as varchar) as task_id,
        cast(null as varchar) as rule_code,
        cast(null as varchar) as evidence
    where false
    {%- endif %}

)

select * from final
