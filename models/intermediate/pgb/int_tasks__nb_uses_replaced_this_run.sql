-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432: a reuse that a late
-- export removes must stop counting against the other uses of its NB. The NB
-- uses of this run's months as the history held them before this run replaces
-- them: a use that is gone now, or whose task now carries another NB, still
-- names its old NB, so the run judges that NB's other uses again (a June task
-- rejected for a July reuse is paid again when July's reuse disappears).
-- Empty on a first build and in a run over every month, which judges every use.
with

-- Not a ref(): this model runs before the history's own run (macros/nb_uses.sql).
stored_uses as (

    select
        task_id,
        nb,
        reference_month
    from {{ nb_history_before_this_run() }}

),

final as (

    select
        task_id,
        nb,
        {{ nb_use_key('nb') }} as nb_key,
        reference_month
    from stored_uses
    where {{ in_month_of_this_run('reference_month') }}

)

select * from final
