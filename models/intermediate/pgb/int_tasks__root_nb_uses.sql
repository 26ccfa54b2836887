-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432: the uses of a
-- benefit number (NB) that count, i.e. every evaluated root task with an NB,
-- across all months since the program start (a later reuse can reject a task
-- of a paid month). Slim on purpose: the two rules need nothing else.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

final as (

    select
        task_id,
        nb,
        payee_siape,
        concluded_at,
        reference_month
    from evaluated_tasks
    where is_root_task and nb is not null

)

select * from final
