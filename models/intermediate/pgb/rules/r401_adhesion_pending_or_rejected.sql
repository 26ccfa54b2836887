-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R401 (redação da Portaria 1.854/2025).
-- Contract 3: the payee has an adhesion row for the task's queue_code, but none
-- with status 'concluida' and homologation 'homologado'.
{% macro pgb_rule__r401_adhesion_pending_or_rejected() %}{{ return('R401') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

adhesions as (

    select * from {{ ref('stg_pat__adhesions') }}

),

payee_queue_adhesions as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.queue_code,
        adhesions.adhesion_task_id,
        adhesions.status,
        adhesions.homologation,
        adhesions.status = 'concluida' and coalesce(adhesions.homologation = 'homologado', false) as is_homologated
    from evaluated_tasks
    inner join adhesions
        on
            evaluated_tasks.payee_siape = adhesions.siape
            and evaluated_tasks.queue_code = adhesions.queue_code

),

-- Evidence only for the tasks that fail: building the list of adhesions for
-- every task and dropping most of them costs more than the rule itself.
tasks_without_homologated_adhesion as (

    select task_id
    from payee_queue_adhesions
    group by task_id
    having not bool_or(is_homologated)

),

final as (

    select
        payee_queue_adhesions.task_id,
        'O servidor ' || any_value(payee_queue_adhesions.payee_siape) || ' tem adesão à fila '
        || any_value(payee_queue_adhesions.queue_code) || ' no PAT, mas nenhuma concluída e homologada ('
        || string_agg(
            payee_queue_adhesions.adhesion_task_id || ' ' || payee_queue_adhesions.status
            || coalesce('/' || payee_queue_adhesions.homologation, ''),
            '; ' order by payee_queue_adhesions.adhesion_task_id
        )
        || ').' as evidence
    from payee_queue_adhesions
    inner join tasks_without_homologated_adhesion
        on payee_queue_adhesions.task_id = tasks_without_homologated_adhesion.task_id
    group by payee_queue_adhesions.task_id

)

select * from final
