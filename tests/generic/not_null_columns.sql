{#-
  `not_null` for several columns of a model in one test and one scan: each
  column that has null rows is returned with how many. The per-column tests
  it replaces each cost dbt some 30 ms of Python and Dagster a check event in
  every build, 84 of them on the intermediate models and marts.
-#}
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent
{% test not_null_columns(model, columns) %}

with

null_rows_by_column as (

    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

final as (

    {%- for column in columns %}
    select
        '{{ column }}' as null_column,
        {{ column }} as null_rows
    from null_rows_by_column
    where {{ column }} > 0
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from final

{% endtest %}
