-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 and R432 look at every use of
-- an NB since the program start. The uses this run must judge: every use (any
-- month) of an NB that a task of this run's month uses, so a reuse in a later
-- month revises the tasks of earlier ones. A run over every month judges them all.
{%- set month = pgb_month() %}
with

root_nb_uses as (

    select * from {{ ref('int_tasks__root_nb_uses') }}

),

{%- if month %}

nbs_used_this_month as (

    select distinct nb
    from root_nb_uses
    where reference_month = date '{{ month }}'

),

final as (

    select root_nb_uses.*
    from root_nb_uses
    semi join nbs_used_this_month
        on root_nb_uses.nb = nbs_used_this_month.nb

)

{%- else %}

final as (

    select * from root_nb_uses

)

{%- endif %}

select * from final
