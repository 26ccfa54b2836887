-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432: the uses of a
-- benefit number (NB) that count, i.e. every evaluated root task with an NB,
-- across all months since the program start (a later reuse can reject a task
-- of a paid month). Slim on purpose: the history the two rules read, kept from
-- run to run. A partitioned run (pgb_month) replaces that month's uses and keeps
-- the others; a run over every month replaces them all.
-- unique_key: a task whose conclusion moved into the run's month (a late
-- export) leaves its old month's row, which would count its NB twice.
-- full_refresh=false: --full-refresh (Dagster passes it for the seeds) never drops
-- the history; a run over every month replaces every row through the pre-hook.
-- post_hook: a history written before nb_key existed gets its keys (a null key
-- would hide a reuse); a no-op afterwards.
-- depends_on: {{ ref('int_tasks__nb_uses_replaced_this_run') }} reads this table
-- before this run replaces its months' uses.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='task_id',
        on_schema_change='sync_all_columns',
        full_refresh=false,
        pre_hook="{{ delete_rows_this_run_replaces('reference_month') }}",
        post_hook="{{ fill_missing_nb_keys() }}"
    )
}}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

final as (

    select
        task_id,
        nb,
        {{ nb_use_key('nb') }} as nb_key,
        payee_siape,
        concluded_at,
        reference_month
    from evaluated_tasks
    where is_root_task and nb is not null

)

select * from final
