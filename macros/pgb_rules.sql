{#-
  The PGB rules, derived from the rule models themselves. Each model in
  models/intermediate/pgb/rules/ (also a macro path, see dbt_project.yml)
  registers itself with a one-line macro named `pgb_rule__<model name>` that
  returns its rule code. dbt loads macros before it parses models, so this
  list is known when the marts are parsed and their ref()s record the
  dependencies: adding a rule needs no edit here or in the marts.
  Returns [{'code': 'R401', 'model': 'r401_...'}, ...] in ascending code order.
-#}
{% macro pgb_rules() -%}
    {%- set rules = [] -%}
    {#- `pgb` is this project's macro namespace (dbt_project.yml name); sqlfluff has none. -#}
    {%- set registry = pgb if pgb is defined else none -%}
    {%- if registry is mapping -%}
        {%- for macro_name in registry.keys() | sort if macro_name.startswith('pgb_rule__') -%}
            {%- do rules.append({'code': registry[macro_name]() | trim, 'model': macro_name[10:]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(rules | sort(attribute='code')) }}
{%- endmacro %}

{#- A parameter list as typed values: split on ';' (or ',' '|'), trimmed, lowercase, blanks dropped. -#}
{% macro parameter_list(value_expression) -%}
    list_filter(
        list_transform(string_split(regexp_replace({{ value_expression }}, '[|,]', ';', 'g'), ';'), lambda x: lower(trim(x))),
        lambda x: x <> ''
    )
{%- endmacro %}

{#- Membership of a text value in a typed parameter list: trimmed, without case (contract v2). -#}
{% macro in_list(value_expression, list_expression) -%}
    coalesce(list_contains({{ list_expression }}, lower(trim(cast({{ value_expression }} as varchar)))), false)
{%- endmacro %}

{#- Timestamps and dates in evidence sentences, as the source systems show them. -#}
{% macro evidence_ts(expression) -%}
    strftime({{ expression }}, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}

{% macro evidence_date(expression) -%}
    strftime({{ expression }}, '%Y-%m-%d')
{%- endmacro %}

{#- A DECIMAL in evidence without trailing zeros: 150.0000 -> 150, 89.9900 -> 89.99. -#}
{% macro evidence_decimal(expression) -%}
    rtrim(rtrim(cast({{ expression }} as varchar), '0'), '.')
{%- endmacro %}

{#-
  The one reading of a reference row's effective dates: in force on `day`
  from effective_from to effective_to, both inclusive; a null effective_to is open.
-#}
{% macro in_force_on(day, relation) -%}
    ({{ day }} >= {{ relation }}.effective_from and ({{ relation }}.effective_to is null or {{ day }} <= {{ relation }}.effective_to))
{%- endmacro %}
