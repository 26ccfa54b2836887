-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R404 (redação da Portaria 1.854/2025),
-- with Quadro 2.2.1. Contract 3: concluded_at is in the payee's ordinary hours.
-- The shared model finds the payee's acts in ordinary hours once for all six rules.
{% macro pgb_rule__r404_conclusion_in_ordinary_hours() %}{{ return('R404') }}{% endmacro %}
with

acts_in_ordinary_hours as (

    select * from {{ ref('int_payee_acts__in_ordinary_hours') }}

),

conclusions_in_ordinary_hours as (

    select *
    from acts_in_ordinary_hours
    where act_kind = 'conclusion'

),

final as (

    {{ ordinary_hours_evidence('conclusions_in_ordinary_hours') }}

)

select * from final
