-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R419 (redação da Portaria 1.854/2025).
-- Contract 3: the payee has no adhesion row at all for the task's queue_code.
{% macro pgb_rule__r419_no_adhesion() %}{{ return('R419') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

adhesions as (

    select * from {{ ref('stg_pat__adhesions') }}

),

final as (

    select
        evaluated_tasks.task_id,
        'O servidor ' || evaluated_tasks.payee_siape
        || ' não tem tarefa de adesão no PAT para a fila ' || evaluated_tasks.queue_code || '.' as evidence
    from evaluated_tasks
    where not exists (
        select 1
        from adhesions
        where
            adhesions.siape = evaluated_tasks.payee_siape
            and adhesions.queue_code = evaluated_tasks.queue_code
    )

)

select * from final
