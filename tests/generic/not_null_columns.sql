{#-
  `not_null` for several columns of a model in one test: each column that
  has null rows is returned with how many. The per-column tests it replaces
  each cost dbt some 30 ms of Python and Dagster a check event in every
  build (96 of them on the intermediate models, the marts and the reference
  seeds' staging).
-#}
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent
{% test not_null_columns(model, columns) %}

-- One query per column, each filtered on `is null` alone: DuckDB answers it
-- from the table's statistics when they show no null (no scan, even over 24
-- months of history); a count(*) filter over all columns would read them all.
with

null_rows_by_column as (

    {%- for column in columns %}
    select
        '{{ column }}' as null_column,
        count(*) as null_rows
    from {{ model }}
    where {{ column }} is null
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

final as (

    select * from null_rows_by_column
    where null_rows > 0

)

select * from final

{% endtest %}
