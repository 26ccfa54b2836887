-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R421 (redação da Portaria 1.854/2025).
-- Contract 3: nb is null or blank (staging trims it and turns a blank into null).
{% macro pgb_rule__r421_no_benefit_number() %}{{ return('R421') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

final as (

    select
        task_id,
        'Tarefa concluída sem número de benefício (NB vazio).' as evidence
    from evaluated_tasks
    where nb is null

)

select * from final
