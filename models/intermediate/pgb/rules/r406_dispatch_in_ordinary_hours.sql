-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R406 (redação da Portaria 1.854/2025),
-- with Quadro 2.2.1. Contract 3: a non-automatic SUB dispatch by the payee on the task's nb, with created_at <= dispatched_at <= concluded_at, is in ordinary hours.
-- The shared model finds the payee's acts in ordinary hours once for all six rules.
{% macro pgb_rule__r406_dispatch_in_ordinary_hours() %}{{ return('R406') }}{% endmacro %}
with

acts_in_ordinary_hours as (

    select * from {{ ref('int_payee_acts__in_ordinary_hours') }}

),

dispatches_in_ordinary_hours as (

    select *
    from acts_in_ordinary_hours
    where act_kind = 'dispatch'

),

final as (

    {{ ordinary_hours_evidence('dispatches_in_ordinary_hours') }}

)

select * from final
