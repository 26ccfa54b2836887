-- Portaria PRES/INSS 1.839/2025, Anexo II (redação da Portaria 1.854/2025) and
-- contract 4: one verdict per evaluated task. Rejected when any rule fires;
-- otherwise held when the payee cannot be checked (not in SIAPE, no Sisref
-- record in the month, or a PGD plan R410 cannot judge for lack of a net
-- target, contract v2); otherwise approved and paid the value in force.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
with

task_rule_results as (

    select * from {{ ref('int_tasks__rule_results') }}

),

professionals as (

    select * from {{ ref('stg_siape__professionals') }}

),

sisref_intervals as (

    select * from {{ ref('stg_sisref__intervals') }}

),

sisref_occurrences as (

    select * from {{ ref('stg_sisref__occurrences') }}

),

-- Contract 4: ordinary hours can only be checked for a month in which the payee
-- has Sisref intervals (by work_date) or occurrences (by occurrence_date).
sisref_months_by_professional as (

    select distinct
        siape,
        cast(date_trunc('month', work_date) as date) as reference_month
    from sisref_intervals
    union
    select distinct
        siape,
        cast(date_trunc('month', occurrence_date) as date) as reference_month
    from sisref_occurrences

),

tasks_with_payee_checks as (

    select
        task_rule_results.*,
        professionals.siape is not null as payee_in_siape,
        professionals.unit_code as payee_unit_code,
        sisref_months_by_professional.siape is not null as payee_has_sisref_in_month
    from task_rule_results
    left join professionals
        on task_rule_results.payee_siape = professionals.siape
    left join sisref_months_by_professional
        on
            task_rule_results.payee_siape = sisref_months_by_professional.siape
            and task_rule_results.reference_month = sisref_months_by_professional.reference_month

),

tasks_with_outcome as (

    select
        *,
        concat_ws(
            ','
            {%- for rule in rules %},
            case when {{ rule.code | lower }} then '{{ rule.code }}' end
            {%- endfor %}
        ) as rejection_rules,
        -- Every reason that applies, in the order of contract 4; null when none.
        nullif(
            concat_ws(
                ' ',
                case
                    when not payee_in_siape
                        then 'Servidor ' || coalesce(payee_siape, '(não informado)')
                        || ' não consta no cadastro SIAPE (raw_professionals).'
                end,
                case
                    when payee_in_siape and not payee_has_sisref_in_month
                        then 'Servidor ' || payee_siape || ' sem intervalos nem ocorrências no Sisref em '
                        || strftime(reference_month, '%Y-%m') || ': não é possível verificar o expediente ordinário.'
                end,
                r410_unjudgeable_reason
            ),
            ''
        ) as hold_explanation
    from tasks_with_payee_checks

),

final as (

    select
        task_id,
        payee_siape,
        reference_month,
        queue_code,
        service_code,
        service_name,
        category,
        benefit_group,
        nb,
        parent_task_id,
        is_root_task,
        created_at,
        created_by,
        concluded_at,
        payee_unit_code,
        {%- for rule in rules %}
        {{ rule.code | lower }},
        {%- endfor %}
        case
            when rejection_rules <> '' then 'rejected'
            when hold_explanation is not null then 'held'
            else 'approved'
        end as outcome,
        case when rejection_rules = '' then hold_explanation end as held_reason,
        rejection_rules,
        cast(
            case
                when rejection_rules = '' and hold_explanation is null then value_per_task
                else 0
            end as decimal(18, 2)
        ) as payment_amount
    from tasks_with_outcome

)

select * from final
