-- Portaria PRES/INSS 1.839/2025, Anexo II, R410 (PGD por atividade abaixo de 90%
-- da meta líquida) and R420 (tarefa usada para complementação da meta), for the
-- payee's PGD plan of the reference month (contract 3), and whether R410 can be
-- judged at all (contract v2, section 4: no net target holds the task).
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

pgd_plans as (

    select * from {{ ref('stg_pgd__plans') }}

),

pgd_goal_complements as (

    select * from {{ ref('stg_pgd__goal_complements') }}

),

-- Decimal arithmetic throughout: 90% exactly is enough, never a float rounding.
plans_below_minimum_ratio as (

    select
        evaluated_tasks.task_id,
        string_agg(
            'plano de ' || strftime(pgd_plans.reference_month, '%Y-%m') || ' com entrega por ' || pgd_plans.pact_type
            || ', ' || coalesce(
                {{ evidence_decimal('pgd_plans.achieved_points') }} || ' pontos alcançados',
                '0 pontos alcançados (nenhuma pontuação registrada)'
            )
            || ' de ' || {{ evidence_decimal('pgd_plans.net_target_points') }} || ' de meta líquida, abaixo de '
            || {{ evidence_decimal('evaluated_tasks.r410_min_ratio * 100') }} || '%',
            '; '
        ) as plan_description
    from evaluated_tasks
    inner join pgd_plans
        on
            evaluated_tasks.payee_siape = pgd_plans.siape
            and evaluated_tasks.reference_month = pgd_plans.reference_month
    where
        {{ in_parameter_list('pgd_plans.pact_type', 'evaluated_tasks.r410_pact_types') }}
        and cast(coalesce(pgd_plans.achieved_points, 0) as decimal(18, 4))
        < cast(evaluated_tasks.r410_min_ratio as decimal(9, 4))
        * cast(pgd_plans.net_target_points as decimal(18, 4))
    group by evaluated_tasks.task_id

),

-- Contract v2, section 4: a plan with a pact type R410 judges but no net
-- target cannot be judged, so the task waits (held) instead of being paid.
plans_without_net_target as (

    select
        evaluated_tasks.task_id,
        string_agg(
            'plano PGD de ' || strftime(pgd_plans.reference_month, '%Y-%m') || ' com entrega por ' || pgd_plans.pact_type,
            '; '
        ) as plan_description
    from evaluated_tasks
    inner join pgd_plans
        on
            evaluated_tasks.payee_siape = pgd_plans.siape
            and evaluated_tasks.reference_month = pgd_plans.reference_month
    where
        {{ in_parameter_list('pgd_plans.pact_type', 'evaluated_tasks.r410_pact_types') }}
        and pgd_plans.net_target_points is null
    group by evaluated_tasks.task_id

),

complemented_tasks as (

    select
        task_id,
        string_agg(
            'meta PGD de ' || strftime(reference_month, '%Y-%m') || ' do servidor ' || siape
            || coalesce(' (' || {{ evidence_decimal('points') }} || ' pontos)', ''),
            '; '
        ) as complement_description
    from pgd_goal_complements
    group by task_id

),

final as (

    select
        evaluated_tasks.task_id,
        plans_below_minimum_ratio.task_id is not null as r410,
        case
            when plans_below_minimum_ratio.task_id is not null
                then
                    'Servidor ' || evaluated_tasks.payee_siape || ' no PGD: '
                    || plans_below_minimum_ratio.plan_description || '.'
        end as r410_evidence,
        case
            when plans_without_net_target.task_id is not null
                then
                    'Servidor ' || evaluated_tasks.payee_siape || ' com '
                    || plans_without_net_target.plan_description
                    || ' sem meta líquida (net_target_points vazio): não é possível verificar a R410.'
        end as r410_unjudgeable_reason,
        complemented_tasks.task_id is not null as r420,
        case
            when complemented_tasks.task_id is not null
                then
                    'Tarefa usada para complementação da '
                    || complemented_tasks.complement_description || '.'
        end as r420_evidence
    from evaluated_tasks
    left join plans_below_minimum_ratio
        on evaluated_tasks.task_id = plans_below_minimum_ratio.task_id
    left join plans_without_net_target
        on evaluated_tasks.task_id = plans_without_net_target.task_id
    left join complemented_tasks
        on evaluated_tasks.task_id = complemented_tasks.task_id

)

select * from final
