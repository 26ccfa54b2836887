-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R411 (redação da Portaria 1.854/2025).
-- Contract 3: created_by = concluded_by, created_at >= program_start, and
-- category <> 'avaliacao_social' (the avaliação social subtasks follow their own flow).
{% macro pgb_rule__r411_created_and_concluded_by_same_professional() %}{{ return('R411') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

final as (

    select
        task_id,
        'Tarefa criada em ' || {{ evidence_ts('created_at') }}
        || ' e concluída em ' || {{ evidence_ts('concluded_at') }}
        || ' pelo mesmo servidor ' || payee_siape
        || ' (criação após o início do programa em ' || {{ evidence_date('program_start') }} || ').' as evidence
    from evaluated_tasks
    where
        created_by = payee_siape
        and created_at >= program_start
        and coalesce(category, '') <> 'avaliacao_social'

)

select * from final
