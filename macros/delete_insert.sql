{#-
  The delete+insert of the incremental models that keep every month
  (fct_task_evaluations, int_tasks__root_nb_uses: unique_key task_id), as
  dbt-duckdb's own, plus one predicate that changes no result: the key lies
  between the smallest and the largest key of the run's rows. DuckDB can then
  skip the table's row groups whose keys are all outside that range (its
  min/max per row group) instead of probing the whole history's key column
  with every run (at 24 national months, most of the cost of the delete). A
  key of the run is always within that range, so a task that moved from an
  earlier month still leaves it. The project's keys are one column.
-#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- if not unique_key or (unique_key is sequence and unique_key is not string) or incremental_predicates -%}
        {{ exceptions.raise_compiler_error(
            "delete+insert: this project's macro takes a one-column unique_key and no incremental_predicates"
        ) }}
    {%- endif -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    delete from {{ target }}
    where {{ key_in_keys_of(unique_key, source) }};
    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
{%- endmacro %}

{#-
  `key in (the keys of keys_from)`, plus the predicate that changes no result:
  the key lies between the smallest and the largest of those keys, so DuckDB
  skips the row groups whose keys all lie outside that range (see above).
  keys_column: the keys' column in keys_from, when its name is not the key's.
-#}
{% macro key_in_keys_of(key, keys_from, keys_column=none) -%}
    {%- set keys_column = keys_column or key -%}
    {{ key }} between (select min({{ keys_column }}) from {{ keys_from }})
    and (select max({{ keys_column }}) from {{ keys_from }})
    and {{ key }} in (select {{ keys_column }} from {{ keys_from }})
{%- endmacro %}
