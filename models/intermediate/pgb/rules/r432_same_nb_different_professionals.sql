-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R432 (redação da Portaria 1.854/2025):
-- only the first use of an NB is valid. Contract 3: a root task with an NB whose
-- evaluated root tasks have 2+ distinct payees: true for all but the first by
-- (concluded_at, task_id), across all months since the program start.
{% macro pgb_rule__r432_same_nb_different_professionals() %}{{ return({'code': 'R432', 'across_months': true}) }}{% endmacro %}
with

root_nb_uses as (

    select * from {{ ref('int_tasks__nb_reuse_scope') }}

),

uses_in_order as (

    select
        task_id,
        nb,
        row_number() over (partition by nb order by concluded_at, task_id) as use_order,
        count(distinct payee_siape) over (partition by nb) as distinct_payees,
        first(task_id) over (partition by nb order by concluded_at, task_id) as first_task_id,
        first(payee_siape) over (partition by nb order by concluded_at, task_id) as first_payee_siape,
        first(concluded_at) over (partition by nb order by concluded_at, task_id) as first_concluded_at
    from root_nb_uses

),

final as (

    select
        task_id,
        'NB ' || nb || ' usado por ' || cast(distinct_payees as varchar)
        || ' servidores; só vale a primeira utilização: tarefa ' || first_task_id
        || ' concluída em ' || {{ evidence_ts('first_concluded_at') }}
        || ' pelo servidor ' || first_payee_siape || '.' as evidence
    from uses_in_order
    where distinct_payees > 1 and use_order > 1

)

select * from final
