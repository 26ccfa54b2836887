-- Contract 4: a task no rule rejects is held (not paid, not rejected: it waits
-- for data) when the payee is missing from raw_professionals, or has neither
-- Sisref intervals (by work_date) nor occurrences (by occurrence_date) in the
-- reference month (ordinary hours cannot be checked), or (v2) has a PGD plan for
-- the month with a pact type in r410_pact_types and no net_target_points (R410
-- cannot be checked). One row per evaluated task with at least one reason.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

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

pgd_plans as (

    select * from {{ ref('stg_pgd__plans') }}

),

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

plans_without_net_target as (

    select
        evaluated_tasks.task_id,
        string_agg(
            'plano PGD de ' || strftime(pgd_plans.reference_month, '%Y-%m') || ' com entrega por ' || pgd_plans.pact_type,
            '; ' order by pgd_plans.pact_type
        ) as plan_description
    from evaluated_tasks
    inner join parameters_by_day
        on evaluated_tasks.concluded_on = parameters_by_day.day
    inner join pgd_plans
        on
            evaluated_tasks.payee_siape = pgd_plans.siape
            and evaluated_tasks.reference_month = pgd_plans.reference_month
    where
        {{ in_list('pgd_plans.pact_type', 'parameters_by_day.r410_pact_types') }}
        and pgd_plans.net_target_points is null
    group by evaluated_tasks.task_id

),

reasons_by_task as (

    select
        evaluated_tasks.task_id,
        case
            when professionals.siape is null
                then
                    'Servidor ' || coalesce(evaluated_tasks.payee_siape, '(não informado)')
                    || ' não consta no cadastro SIAPE (raw_professionals).'
        end as not_in_siape_reason,
        case
            when sisref_months_by_professional.siape is null
                then
                    'Servidor ' || evaluated_tasks.payee_siape || ' sem intervalos nem ocorrências no Sisref em '
                    || strftime(evaluated_tasks.reference_month, '%Y-%m')
                    || ': não é possível verificar o expediente ordinário.'
        end as no_sisref_reason,
        case
            when plans_without_net_target.task_id is not null
                then
                    'Servidor ' || evaluated_tasks.payee_siape || ' com ' || plans_without_net_target.plan_description
                    || ' sem meta líquida (net_target_points vazio): não é possível verificar a R410.'
        end as no_pgd_target_reason
    from evaluated_tasks
    left join professionals
        on evaluated_tasks.payee_siape = professionals.siape
    left join sisref_months_by_professional
        on
            evaluated_tasks.payee_siape = sisref_months_by_professional.siape
            and evaluated_tasks.reference_month = sisref_months_by_professional.reference_month
    left join plans_without_net_target
        on evaluated_tasks.task_id = plans_without_net_target.task_id

),

final as (

    select
        task_id,
        concat_ws(' ', not_in_siape_reason, no_sisref_reason, no_pgd_target_reason) as held_reason
    from reasons_by_task
    where coalesce(not_in_siape_reason, no_sisref_reason, no_pgd_target_reason) is not null

)

select * from final
