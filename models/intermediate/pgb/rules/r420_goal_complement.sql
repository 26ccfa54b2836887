-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R420 (redação da Portaria 1.854/2025).
-- Contract 3: the task appears in raw_pgd_goal_complements.
{% macro pgb_rule__r420_goal_complement() %}{{ return('R420') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

pgd_goal_complements as (

    select * from {{ ref('stg_pgd__goal_complements') }}

),

final as (

    select
        evaluated_tasks.task_id,
        'Tarefa usada para complementação da '
        || string_agg(
            'meta PGD de ' || strftime(pgd_goal_complements.reference_month, '%Y-%m')
            || ' do servidor ' || pgd_goal_complements.siape
            || coalesce(' (' || {{ evidence_decimal('pgd_goal_complements.points') }} || ' pontos)', ''),
            '; ' order by pgd_goal_complements.reference_month, pgd_goal_complements.siape
        ) || '.' as evidence
    from evaluated_tasks
    inner join pgd_goal_complements
        on evaluated_tasks.task_id = pgd_goal_complements.task_id
    group by evaluated_tasks.task_id

)

select * from final
