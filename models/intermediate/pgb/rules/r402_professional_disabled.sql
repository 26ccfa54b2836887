-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R402 (redação da Portaria 1.854/2025).
-- Contract 3: a concluded, homologated adhesion for (payee, queue) exists, but
-- date(concluded_at) is in none of its [enabled_from, enabled_until] windows
-- (inclusive; a null enabled_until is open).
{% macro pgb_rule__r402_professional_disabled() %}{{ return('R402') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

adhesions as (

    select * from {{ ref('stg_pat__adhesions') }}

),

homologated_adhesions as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.queue_code,
        evaluated_tasks.concluded_on,
        adhesions.adhesion_task_id,
        adhesions.enabled_from,
        adhesions.enabled_until,
        coalesce(
            evaluated_tasks.concluded_on >= adhesions.enabled_from
            and (adhesions.enabled_until is null or evaluated_tasks.concluded_on <= adhesions.enabled_until),
            false
        ) as covers_conclusion
    from evaluated_tasks
    inner join adhesions
        on
            evaluated_tasks.payee_siape = adhesions.siape
            and evaluated_tasks.queue_code = adhesions.queue_code
    where adhesions.status = 'concluida' and adhesions.homologation = 'homologado'

),

-- Evidence only for the tasks that fail (see r401).
tasks_outside_every_window as (

    select task_id
    from homologated_adhesions
    group by task_id
    having not bool_or(covers_conclusion)

),

final as (

    select
        homologated_adhesions.task_id,
        'Tarefa concluída em ' || {{ evidence_date('any_value(homologated_adhesions.concluded_on)') }}
        || ', fora do período de habilitação do servidor ' || any_value(homologated_adhesions.payee_siape)
        || ' na fila ' || any_value(homologated_adhesions.queue_code) || ' (adesões homologadas: '
        || string_agg(
            homologated_adhesions.adhesion_task_id || ' de '
            || coalesce({{ evidence_date('homologated_adhesions.enabled_from') }}, '(sem data)')
            || ' a ' || coalesce({{ evidence_date('homologated_adhesions.enabled_until') }}, 'em aberto'),
            '; ' order by homologated_adhesions.adhesion_task_id
        ) || ').' as evidence
    from homologated_adhesions
    inner join tasks_outside_every_window
        on homologated_adhesions.task_id = tasks_outside_every_window.task_id
    group by homologated_adhesions.task_id

)

select * from final
