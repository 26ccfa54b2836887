-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R407 (redação da Portaria 1.854/2025),
-- with Quadro 2.2.1. Contract 3: a comment or attachment event of the payee on the task is in ordinary hours.
-- The shared model finds the payee's acts in ordinary hours once for all six rules.
{% macro pgb_rule__r407_comment_or_attachment_in_ordinary_hours() %}{{ return('R407') }}{% endmacro %}
with

acts_in_ordinary_hours as (

    select * from {{ ref('int_payee_acts__in_ordinary_hours') }}

),

comments_and_attachments_in_ordinary_hours as (

    select *
    from acts_in_ordinary_hours
    where act_kind in ('comment', 'attachment')

),

final as (

    {{ ordinary_hours_evidence('comments_and_attachments_in_ordinary_hours') }}

)

select * from final
