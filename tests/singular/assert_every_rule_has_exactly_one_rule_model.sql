-- Every rule of ref_rules has exactly one rule model under
-- models/intermediate/pgb/rules/ and every rule model has its ref_rules row (its
-- title, legal text and source), so the rule list derived from the models and
-- the legal reference never drift apart. A model's name starts with its code.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
with

reference_rules as (

    select * from {{ ref('stg_reference__rules') }}

),

rule_models as (

    {%- for rule in rules %}
    select
        '{{ rule.code }}' as rule_code,
        '{{ rule.model }}' as model_name
    {{ 'union all' if not loop.last }}
    {%- endfor %}
    {%- if not rules %}
    select
        cast(null as varchar) as rule_code,
        cast(null as varchar) as model_name
    where false
    {%- endif %}

),

models_by_code as (

    select
        rule_code,
        count(*) as models,
        string_agg(model_name, ', ' order by model_name) as model_names
    from rule_models
    group by rule_code

),

rules_without_model as (

    select
        reference_rules.rule_code,
        'in ref_rules but no rule model registers it' as problem
    from reference_rules
    left join models_by_code
        on reference_rules.rule_code = models_by_code.rule_code
    where models_by_code.rule_code is null

),

models_without_rule as (

    select
        models_by_code.rule_code,
        'rule model(s) ' || models_by_code.model_names || ' without a ref_rules row' as problem
    from models_by_code
    left join reference_rules
        on models_by_code.rule_code = reference_rules.rule_code
    where reference_rules.rule_code is null

),

codes_with_several_models as (

    select
        rule_code,
        'several rule models: ' || model_names as problem
    from models_by_code
    where models > 1

),

models_named_after_another_code as (

    select
        rule_code,
        'model ' || model_name || ' does not start with its code' as problem
    from rule_models
    where not starts_with(model_name, lower(rule_code) || '_')

)

select * from rules_without_model
union all
select * from models_without_rule
union all
select * from codes_with_several_models
union all
select * from models_named_after_another_code
