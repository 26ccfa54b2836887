-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R429 (redação da Portaria 1.854/2025),
-- with Quadro 2.2.1. Contract 3: an assignment of the task to the payee has assigned_at in the payee's ordinary hours.
-- The shared model finds the payee's acts in ordinary hours once for all six rules.
{% macro pgb_rule__r429_task_pulled_in_ordinary_hours() %}{{ return('R429') }}{% endmacro %}
with

acts_in_ordinary_hours as (

    select * from {{ ref('int_payee_acts__in_ordinary_hours') }}

),

assignments_in_ordinary_hours as (

    select *
    from acts_in_ordinary_hours
    where act_kind = 'assignment'

),

final as (

    {{ ordinary_hours_evidence('assignments_in_ordinary_hours') }}

)

select * from final
