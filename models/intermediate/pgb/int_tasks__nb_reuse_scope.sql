-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432 look at every use of
-- an NB since the program start. The uses this run must judge: every use (any
-- month) of an NB that a task of this run's months uses and that is used more
-- than once (an NB used once fires neither rule), so a reuse in a later month
-- revises the tasks of earlier ones; and every use of an NB those months used
-- before this run in a use that is gone now (int_tasks__nb_uses_replaced_this_run),
-- so a reuse a late export removed revises them back. A run over every month
-- judges every NB used more than once.
-- The NBs are found by their integer key, and the history's rows by their row
-- id (macros/nb_uses.sql): the history's text is read for the selected uses only.
with

root_nb_uses as not materialized (

    select
        {{ nb_use_locator() }} as use_locator,
        *
    from {{ ref('int_tasks__root_nb_uses') }}

),

nb_uses_replaced as (

    select * from {{ ref('int_tasks__nb_uses_replaced_this_run') }}

),

keys_used_this_run as (

    select distinct nb_key
    from root_nb_uses
    where {{ in_month_of_this_run('reference_month') }}

),

keys_used_this_run_and_again as (

    select root_nb_uses.nb_key
    from root_nb_uses
    semi join keys_used_this_run
        on root_nb_uses.nb_key = keys_used_this_run.nb_key
    group by root_nb_uses.nb_key
    having count(*) > 1

),

uses_of_this_run as (

    select
        task_id,
        nb
    from root_nb_uses
    where {{ in_month_of_this_run('reference_month') }}

),

-- A stored use of the run's months that this run did not write again: its task
-- left the months, or now carries another NB.
keys_of_uses_gone as (

    select nb_uses_replaced.nb_key
    from nb_uses_replaced
    anti join uses_of_this_run
        on
            nb_uses_replaced.task_id = uses_of_this_run.task_id
            and nb_uses_replaced.nb = uses_of_this_run.nb

),

keys_to_judge as (

    select nb_key from keys_used_this_run_and_again
    union
    select nb_key from keys_of_uses_gone

),

uses_to_judge as (

    select root_nb_uses.use_locator
    from root_nb_uses
    semi join keys_to_judge
        on root_nb_uses.nb_key = keys_to_judge.nb_key

),

final as (

    select
        root_nb_uses.task_id,
        root_nb_uses.nb,
        root_nb_uses.payee_siape,
        root_nb_uses.concluded_at,
        root_nb_uses.reference_month
    from root_nb_uses
    semi join uses_to_judge
        on root_nb_uses.use_locator = uses_to_judge.use_locator

)

select * from final
