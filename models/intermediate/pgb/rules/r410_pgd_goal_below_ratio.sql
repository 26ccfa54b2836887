-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R410 (redação da Portaria 1.854/2025).
-- Contract 3: the payee's PGD plan for the reference month has a pact type in
-- r410_pact_types and coalesce(achieved_points, 0) < r410_min_ratio x
-- net_target_points, compared as DECIMAL (exactly 90% is enough). A plan without
-- a net target cannot be judged: int_tasks__hold_reasons holds the task (v2).
{% macro pgb_rule__r410_pgd_goal_below_ratio() %}{{ return('R410') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

pgd_plans as (

    select * from {{ ref('stg_pgd__plans') }}

),

plans_below_minimum_ratio as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        pgd_plans.reference_month,
        pgd_plans.pact_type,
        pgd_plans.achieved_points,
        pgd_plans.net_target_points,
        parameters_by_day.r410_min_ratio
    from evaluated_tasks
    inner join parameters_by_day
        on evaluated_tasks.concluded_on = parameters_by_day.day
    inner join pgd_plans
        on
            evaluated_tasks.payee_siape = pgd_plans.siape
            and evaluated_tasks.reference_month = pgd_plans.reference_month
    where
        {{ in_list('pgd_plans.pact_type', 'parameters_by_day.r410_pact_types') }}
        and cast(coalesce(pgd_plans.achieved_points, 0) as decimal(18, 4))
        < parameters_by_day.r410_min_ratio * cast(pgd_plans.net_target_points as decimal(18, 4))

),

final as (

    select
        task_id,
        -- The plan is named once (month and pact type): the rule's own text already
        -- says "PGD, com entrega por atividade", so the evidence only adds the figures.
        'Servidor ' || any_value(payee_siape) || ', '
        || string_agg(
            'plano PGD de ' || strftime(reference_month, '%Y-%m') || ' (' || pact_type || '): '
            || coalesce(
                {{ evidence_decimal('achieved_points') }} || ' pontos alcançados',
                '0 pontos alcançados (nenhuma pontuação registrada)'
            )
            || ' de ' || {{ evidence_decimal('net_target_points') }} || ' de meta líquida, abaixo de '
            || {{ evidence_decimal('r410_min_ratio * 100') }} || '%',
            '; '
        ) || '.' as evidence
    from plans_below_minimum_ratio
    group by task_id

)

select * from final
