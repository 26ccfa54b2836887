-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R403 (redação da Portaria 1.854/2025),
-- with Quadro 2.2.1. Contract 3: a status_change event of the payee on the task is in the payee's ordinary hours.
-- The shared model finds the payee's acts in ordinary hours once for all six rules.
{% macro pgb_rule__r403_status_change_in_ordinary_hours() %}{{ return('R403') }}{% endmacro %}
with

acts_in_ordinary_hours as (

    select * from {{ ref('int_payee_acts__in_ordinary_hours') }}

),

status_changes_in_ordinary_hours as (

    select *
    from acts_in_ordinary_hours
    where act_kind = 'status_change'

),

final as (

    {{ ordinary_hours_evidence('status_changes_in_ordinary_hours') }}

)

select * from final
