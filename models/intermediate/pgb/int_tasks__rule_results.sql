-- Portaria PRES/INSS 1.839/2025, Anexo II (redação da Portaria 1.854/2025):
-- every evaluated task with the 21 rule columns of contract 3 and the evidence
-- of each, joined once from the rule families so both marts read one source.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:ambiguous.column_count,layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
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
-- Inner joins: every rule model has one row per evaluated task, so a task
-- missing from one would vanish here and fail the row-count test, never pass unjudged.
final as (

    select
        evaluated_tasks.*,
        {%- for rule in rules %}
        {{ rule.model }}.{{ rule.code | lower }},
        {{ rule.model }}.{{ rule.code | lower }}_evidence,
        {%- endfor %}
        -- Contract v2, section 4: a rule that cannot be judged holds the task.
        int_rules__pgd.r410_unjudgeable_reason
    from evaluated_tasks
    {%- for rule_model in rule_models %}
    inner join {{ rule_model }}
        on evaluated_tasks.task_id = {{ rule_model }}.task_id
    {%- endfor %}

)

select * from final
