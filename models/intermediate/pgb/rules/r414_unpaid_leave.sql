-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R414 (redação da Portaria 1.854/2025).
-- Contract 3: date(concluded_at) lies in a licenca_sem_vencimento period of the payee.
{% macro pgb_rule__r414_unpaid_leave() %}{{ return('R414') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

hr_periods as (

    select * from {{ ref('stg_siape__hr_periods') }}

),

unpaid_leave_on_conclusion_day as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.concluded_on,
        hr_periods.period_id,
        {{ hr_period_label('hr_periods') }} as period_label
    from evaluated_tasks
    inner join hr_periods
        on
            evaluated_tasks.payee_siape = hr_periods.siape
            and {{ hr_period_covers('evaluated_tasks.concluded_on', 'hr_periods') }}
    where hr_periods.kind = 'licenca_sem_vencimento'

),

final as (

    select
        task_id,
        'Conclusão em ' || {{ evidence_date('any_value(concluded_on)') }}
        || ' durante licença sem vencimento do servidor ' || any_value(payee_siape) || ' (' || string_agg(period_label, '; ' order by period_id) || ').' as evidence
    from unpaid_leave_on_conclusion_day
    group by task_id

)

select * from final
