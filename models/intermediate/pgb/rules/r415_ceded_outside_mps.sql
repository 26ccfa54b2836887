-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R415 (redação da Portaria 1.854/2025).
-- Contract 3: date(concluded_at) lies in a cessao period of the payee with ceded_to
-- not in r415_allowed_cession_organs (MPS). A cessao without ceded_to fires: the
-- organ is not shown to be MPS (the input check refuses such a row anyway).
{% macro pgb_rule__r415_ceded_outside_mps() %}{{ return('R415') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

hr_periods as (

    select * from {{ ref('stg_siape__hr_periods') }}

),

cession_outside_allowed_organs_on_conclusion_day as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.concluded_on,
        hr_periods.period_id,
        {{ hr_period_label('hr_periods') }}
        || ', cedido a ' || coalesce(hr_periods.ceded_to, '(órgão não informado)') as period_label
    from evaluated_tasks
    inner join parameters_by_day
        on evaluated_tasks.concluded_on = parameters_by_day.day
    inner join hr_periods
        on
            evaluated_tasks.payee_siape = hr_periods.siape
            and {{ hr_period_covers('evaluated_tasks.concluded_on', 'hr_periods') }}
    where
        hr_periods.kind = 'cessao'
        and not {{ in_list('hr_periods.ceded_to', 'parameters_by_day.r415_allowed_cession_organs') }}

),

final as (

    select
        task_id,
        'Conclusão em ' || {{ evidence_date('any_value(concluded_on)') }}
        || ' durante cessão do servidor ' || any_value(payee_siape) || ' fora do Ministério da Previdência Social' || ' (' || string_agg(period_label, '; ' order by period_id) || ').' as evidence
    from cession_outside_allowed_organs_on_conclusion_day
    group by task_id

)

select * from final
