{#-
  The PGB rules, derived from the rule models themselves. Each model in
  models/intermediate/pgb/rules/ (also a macro path, see dbt_project.yml)
  registers itself with a one-line macro named `pgb_rule__<model name>` that
  returns its rule code. dbt loads macros before it parses models, so this
  list is known when the marts are parsed and their ref()s record the
  dependencies: adding a rule needs no edit here or in the marts.
  The macro returns the code ('R401'), or {'code': 'R430', 'across_months': true}
  for a rule that judges a task against tasks of other months (it then also
  revises the tasks of earlier months in a partitioned run).
  Returns [{'code': 'R401', 'model': 'r401_...', 'across_months': false}, ...]
  in ascending code order.
-#}
{% macro pgb_rules() -%}
    {%- set rules = [] -%}
    {#- `pgb` is this project's macro namespace (dbt_project.yml name); sqlfluff has none. -#}
    {%- set registry = pgb if pgb is defined else none -%}
    {%- if registry is mapping -%}
        {%- for macro_name in registry.keys() | sort if macro_name.startswith('pgb_rule__') -%}
            {%- set registered = registry[macro_name]() -%}
            {%- if registered is mapping -%}
                {%- do rules.append({'code': registered.code, 'model': macro_name[10:], 'across_months': registered.get('across_months', false)}) -%}
            {%- else -%}
                {%- do rules.append({'code': registered | trim, 'model': macro_name[10:], 'across_months': false}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {#- sqlfluff renders without dbt's namespaces: it lints with two stand-in rules. -#}
    {%- if registry is not mapping -%}
        {%- do rules.append({'code': 'R401', 'model': 'r401_stand_in', 'across_months': false}) -%}
        {%- do rules.append({'code': 'R430', 'model': 'r430_stand_in', 'across_months': true}) -%}
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

{#- An SIAPE HR period in force on a day: inclusive dates, a null end_date is open (contract 3: R414-R417). -#}
{% macro hr_period_covers(day, periods) -%}
    {{ day }} >= {{ periods }}.start_date and ({{ periods }}.end_date is null or {{ day }} <= {{ periods }}.end_date)
{%- endmacro %}

{#- The evidence's name of an HR period: 'período P1 de 2025-06-01 a 2025-06-30' (or 'a em aberto'). -#}
{% macro hr_period_label(periods) -%}
    'período ' || {{ periods }}.period_id || ' de ' || {{ evidence_date(periods ~ '.start_date') }}
    || ' a ' || coalesce({{ evidence_date(periods ~ '.end_date') }}, 'em aberto')
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

{#-
  The reference months a partitioned run processes, from the var `pgb_month` or
  the environment variable PGB_MONTH (what Dagster sets: an env var keeps dbt's
  partial parsing): one month 'YYYY-MM-01', or a range
  'YYYY-MM-01..YYYY-MM-01' (both included). '' = every month: a full rebuild,
  as the contract's section 6 flow does. pgb_month() returns the text as given;
  pgb_month_range() returns {'first': ..., 'last': ...} or none.
-#}
{% macro pgb_month() -%}
    {#- sqlfluff renders models without dbt's env_var: it sees every month. Read only when dbt
        executes: an env_var read while parsing makes every run with another month parse its
        files again (about 1 s of each run); nothing parsed depends on the month. -#}
    {%- set from_environment = env_var('PGB_MONTH', '') if (env_var is defined and execute) else '' -%}
    {%- set month = var('pgb_month', from_environment) | string | trim -%}
    {%- set pattern = '^[0-9]{4}-[0-9]{2}-01([.][.][0-9]{4}-[0-9]{2}-01)?$' -%}
    {%- if month and modules is defined and not modules.re.match(pattern, month) -%}
        {{ exceptions.raise_compiler_error(
            "pgb_month / PGB_MONTH must be a first day of month (YYYY-MM-01) or a range YYYY-MM-01..YYYY-MM-01, got '"
            ~ month ~ "'"
        ) }}
    {%- endif -%}
    {{ return(month) }}
{%- endmacro %}

{% macro pgb_month_range() -%}
    {%- set month = pgb_month() -%}
    {%- if not month -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set bounds = month.split('..') -%}
    {%- set first, last = bounds[0], bounds[-1] -%}
    {%- if last < first -%}
        {{ exceptions.raise_compiler_error("pgb_month range " ~ month ~ " ends before it starts") }}
    {%- endif -%}
    {{ return({'first': first, 'last': last}) }}
{%- endmacro %}

{#-
  Pre-hook of a month-partitioned incremental model: before the run appends
  its rows, delete the rows it replaces, i.e. those of the months it processes
  (a partitioned run) or every row (a run over every month), so a task that left
  the month's delivery leaves the table too. Nothing to do on a first build.
-#}
{% macro delete_rows_this_run_replaces(month_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_month_of_this_run(month_column) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Pre-hooks of fct_task_rule_violations: delete the rows this run writes again,
  i.e. (1) the month's tasks' violations, every row in a run over every month,
  and (2) in a partitioned run, for the rules across months, those of every
  task in int_tasks__nb_reuse_scope. Two statements, so that each can skip the
  row groups it does not need: the first by month, the second by the scope's
  smallest and largest task id (a range that changes no result: every task of
  the scope is in it), where one delete with an "or" read the whole history.
  Nothing to do on a first build.
-#}
{% macro delete_violations_this_run_replaces() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_month_of_this_run('reference_month') }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_violations_across_months_this_run_revises() -%}
    {%- set codes_across_months = pgb_rules() | selectattr('across_months') | map(attribute='code') | list -%}
    {%- if is_incremental() and pgb_month_range() and codes_across_months -%}
        {%- set scope = ref('int_tasks__nb_reuse_scope') -%}
        delete from {{ this }}
        where
            rule_code in ('{{ codes_across_months | join("', '") }}')
            and {{ key_in_keys_of('task_id', scope) }}
    {%- endif -%}
{%- endmacro %}

{% macro in_month_of_this_run(day_expression) -%}
    {%- set months = pgb_month_range() -%}
    {%- if months -%}
        ({{ day_expression }} >= date '{{ months.first }}' and {{ day_expression }} < date '{{ months.last }}' + interval 1 month)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
  A parameter's text (a column of the same name) cast to its type; a value that
  is not of that type stops the build with a message naming the parameter and
  the day, instead of DuckDB's bare conversion error.
-#}
{% macro typed_parameter(name, data_type) -%}
    case
        when {{ name }} is not null and try_cast({{ name }} as {{ data_type }}) is null
            then error(
                'ref_parameters: {{ name }} = ''' || {{ name }} || ''' in force on '
                || strftime(day, '%Y-%m-%d') || ' is not of type {{ data_type }}'
            )
        else cast({{ name }} as {{ data_type }})
    end
{%- endmacro %}
