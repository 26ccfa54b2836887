-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R430 (redação da Portaria 1.854/2025).
-- Contract 3: a root task with an NB, and another evaluated root task with the
-- same NB has the same payee: true for every task of that group, in any month.
{% macro pgb_rule__r430_same_nb_same_professional() %}{{ return({'code': 'R430', 'across_months': true}) }}{% endmacro %}
with

root_nb_uses as (

    select * from {{ ref('int_tasks__nb_reuse_scope') }}

),

uses_with_same_payee as (

    select
        this_use.task_id,
        this_use.nb,
        this_use.payee_siape,
        other_use.task_id as other_task_id,
        other_use.concluded_at as other_concluded_at
    from root_nb_uses as this_use
    inner join root_nb_uses as other_use
        on
            this_use.nb = other_use.nb
            and this_use.payee_siape = other_use.payee_siape
            and this_use.task_id <> other_use.task_id

),

final as (

    select
        task_id,
        'NB ' || any_value(nb) || ' usado pelo mesmo servidor ' || any_value(payee_siape)
        || ' também na(s) tarefa(s) '
        || string_agg(
            other_task_id || ' (concluída em ' || {{ evidence_ts('other_concluded_at') }} || ')',
            ', ' order by other_concluded_at, other_task_id
        ) || '.' as evidence
    from uses_with_same_payee
    group by task_id

)

select * from final
