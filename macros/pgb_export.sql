{#
  The relation a staging view reads a raw export from: the seed of that name,
  or, when the variable pgb_exports_dir (env PGB_EXPORTS_DIR) is set, the
  file of that name in that folder through the pgb_exports source. Both are
  referenced so that dbt knows the lineage whichever is used.
#}
{% macro pgb_export(export_name) -%}
    {%- set seed_relation = ref(export_name) -%}
    {%- set file_relation = source('pgb_exports', export_name) -%}
    {%- if var('pgb_exports_dir', '') | trim -%}
        {{ file_relation }}
    {%- else -%}
        {{ seed_relation }}
    {%- endif -%}
{%- endmacro %}
