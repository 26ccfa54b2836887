-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R417 (redação da Portaria 1.854/2025).
-- Contract 3: date(concluded_at) lies in an inatividade period of the payee.
{% macro pgb_rule__r417_inactive_professional() %}{{ return('R417') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

hr_periods as (

    select * from {{ ref('stg_siape__hr_periods') }}

),

inactivity_on_conclusion_day as (

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
    where hr_periods.kind = 'inatividade'

),

final as (

    select
        task_id,
        'Conclusão em ' || {{ evidence_date('any_value(concluded_on)') }}
        || ' com o servidor ' || any_value(payee_siape) || ' inativo' || ' (' || string_agg(period_label, '; ' order by period_id) || ').' as evidence
    from inactivity_on_conclusion_day
    group by task_id

)

select * from final
