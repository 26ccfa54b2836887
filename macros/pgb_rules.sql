{#-
  The 21 rule columns of contract section 3, in ascending code order, with
  the intermediate model that computes each. Every rule model returns one row
  per evaluated task with the boolean column `rNNN` and `rNNN_evidence`.
-#}
{% macro pgb_rules() -%}
    {{ return([
        {'code': 'R401', 'model': 'int_rules__adhesion'},
        {'code': 'R402', 'model': 'int_rules__adhesion'},
        {'code': 'R403', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R404', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R405', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R406', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R407', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R409', 'model': 'int_rules__sub_dispatch'},
        {'code': 'R410', 'model': 'int_rules__pgd'},
        {'code': 'R411', 'model': 'int_rules__task_attributes'},
        {'code': 'R414', 'model': 'int_rules__hr_periods'},
        {'code': 'R415', 'model': 'int_rules__hr_periods'},
        {'code': 'R416', 'model': 'int_rules__hr_periods'},
        {'code': 'R417', 'model': 'int_rules__hr_periods'},
        {'code': 'R419', 'model': 'int_rules__adhesion'},
        {'code': 'R420', 'model': 'int_rules__pgd'},
        {'code': 'R421', 'model': 'int_rules__task_attributes'},
        {'code': 'R424', 'model': 'int_rules__task_attributes'},
        {'code': 'R429', 'model': 'int_rules__ordinary_hours'},
        {'code': 'R430', 'model': 'int_rules__nb_reuse'},
        {'code': 'R432', 'model': 'int_rules__nb_reuse'},
    ]) }}
{%- endmacro %}

{#- Membership in a parameter list kept as lowercase ';'-separated text. -#}
{% macro in_parameter_list(value_expression, list_column) -%}
    coalesce(list_contains(string_split({{ list_column }}, ';'), lower(trim(cast({{ value_expression }} as varchar)))), false)
{%- endmacro %}

{#- A parameter list normalised for in_parameter_list: trimmed, lowercase, ';'-separated. -#}
{% macro normalized_parameter_list(value_expression) -%}
    array_to_string(
        list_filter(
            list_transform(string_split(regexp_replace({{ value_expression }}, '[|,]', ';', 'g'), ';'), lambda x: lower(trim(x))),
            lambda x: x <> ''
        ),
        ';'
    )
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
  The values contract section 4 names for each rule parameter. They are used
  only where ref_parameters has no value in force for that name on a task's
  conclusion day (a fixture that replaces ref_parameters with fewer names), so
  a missing row can never turn a rule on or off silently; the singular test
  assert_rule_parameters_are_all_defined fails when any is missing.
-#}
{% macro pgb_contract_parameter_defaults() -%}
    {{ return({
        'program_start': '2025-05-19',
        'pepgb_value_per_task': '68.00',
        'r410_min_ratio': '0.9',
        'r410_pact_types': 'atividade',
        'r415_allowed_cession_organs': 'MPS',
        'r416_max_days': '180',
        'r409_assistencial_services': '14875',
        'r409_incapacidade_services': '17456;17436;17776;17775',
        'r409_assistencial_statuses': 'Deferido;Indeferido;Desistido;Em processamento',
        'r409_incapacidade_statuses': 'Deferido;Indeferido;Aguardando perícia;Desistido;Em processamento',
        'r409_sub_decisions': 'deferimento;indeferimento',
    }) }}
{%- endmacro %}

{#-
  The one reading of a reference row's effective dates: in force on `day`
  from effective_from to effective_to, both inclusive; a null effective_to is open.
-#}
{% macro in_force_on(day, relation) -%}
    ({{ day }} >= {{ relation }}.effective_from and ({{ relation }}.effective_to is null or {{ day }} <= {{ relation }}.effective_to))
{%- endmacro %}
