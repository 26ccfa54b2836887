-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432 look at every use of
-- an NB since the program start. The uses this run must judge: every use (any
-- month) of an NB that a task of this run's month uses, so a reuse in a later
-- month revises the tasks of earlier ones. A run over every month judges them all.
with

root_nb_uses as (

    select * from {{ ref('int_tasks__root_nb_uses') }}

),

nbs_judged_this_run as (

    select distinct nb
    from root_nb_uses
    where {{ in_month_of_this_run('reference_month') }}

),

final as (

    select
        root_nb_uses.task_id,
        root_nb_uses.nb,
        root_nb_uses.payee_siape,
        root_nb_uses.concluded_at,
        root_nb_uses.reference_month
    from root_nb_uses
    semi join nbs_judged_this_run
        on root_nb_uses.nb = nbs_judged_this_run.nb

)

select * from final
