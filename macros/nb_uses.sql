{#-
  The integer key of an NB in the NB history (int_tasks__root_nb_uses.nb_key):
  the NB's digits as a number, 0 when the NB is not a number. Scanning it is
  several times cheaper than scanning the NB's text across 24 months of
  history. Two NBs may share a key ('0123' and '123', or any two NBs that are
  not numbers): a key only selects which NBs a run looks at, always with every
  use of each, and the rules themselves compare the NB's text, so a shared key
  makes the run look at more uses, never judge one wrongly. Plain arithmetic
  on purpose: a stored key must mean the same after a DuckDB upgrade.
-#}
{% macro nb_use_key(nb) -%}
    coalesce(try_cast({{ nb }} as ubigint), 0)
{%- endmacro %}

{#-
  How int_tasks__nb_reuse_scope finds again the history rows it selected by
  key: DuckDB's row id, which lets the last read skip every row group without
  a selected row instead of reading the text columns of the whole history. A
  unit test's input is not a table and has no row id: the unit tests override
  this macro with task_id, also unique in the history (same rows, slower).
-#}
{% macro nb_use_locator() -%}
    rowid
{%- endmacro %}

{#-
  The NB history as it stands before this run replaces its months' uses, for
  int_tasks__nb_uses_replaced_this_run. Not a ref(): that model runs before
  int_tasks__root_nb_uses (which depends on it), and reads the table this run
  is about to change. An empty relation of the same columns on a first build
  (no history yet) and in a run over every month (which judges every use).
-#}
{% macro nb_history_before_this_run() -%}
    {%- set history = none -%}
    {%- if execute and pgb_month_range() -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.int_tasks__root_nb_uses'] -%}
        {%- set history = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- endif -%}
    {%- if history -%}
        {{ history }}
    {%- else -%}
        (select cast(null as varchar) as task_id, cast(null as varchar) as nb, cast(null as date) as reference_month where false)
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of int_tasks__root_nb_uses: the key of a use stored before the column existed. -#}
{% macro fill_missing_nb_keys() -%}
    {%- if is_incremental() -%}
        update {{ this }} set nb_key = {{ nb_use_key('nb') }} where nb_key is null
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
