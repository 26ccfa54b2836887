-- Contract 2 "Evaluated task" (Portaria PRES/INSS 1.839/2025, Anexo II): a task
-- concluded in an extraordinary queue on or after the program start, with the
-- parameters in force on its conclusion day (ref_parameters, by effective date).
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set parameter_defaults = pgb_contract_parameter_defaults() %}
with

tasks as (

    select * from {{ ref('stg_get__tasks') }}

),

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

concluded_extraordinary_tasks as (

    select *
    from tasks
    where
        queue_type = 'extraordinaria'
        and status = 'concluida'
        and concluded_at is not null

),

parameters_in_force_at_conclusion as (

    select
        concluded_extraordinary_tasks.task_id,
        max(parameters.value) filter (where parameters.name = 'program_start') as program_start_text,
        {%- for name, contract_default in parameter_defaults.items() if name != 'program_start' %}
        coalesce(
            max(parameters.value) filter (where parameters.name = '{{ name }}'),
            '{{ contract_default }}'
        ) as {{ name }}_text{{ ',' if not loop.last }}
        {%- endfor %}
    from concluded_extraordinary_tasks
    left join parameters
        on {{ in_force_on('cast(concluded_extraordinary_tasks.concluded_at as date)', 'parameters') }}
    group by concluded_extraordinary_tasks.task_id

),

-- A task concluded before any program_start row is in force is compared with
-- the earliest program start, so it is out of scope rather than unknown.
earliest_program_start as (

    select min_by(value, effective_from) as program_start_text
    from parameters
    where name = 'program_start'

),

tasks_with_parameters as (

    select
        concluded_extraordinary_tasks.*,
        cast(
            coalesce(
                parameters_in_force_at_conclusion.program_start_text,
                earliest_program_start.program_start_text,
                '{{ parameter_defaults.program_start }}'
            ) as date
        ) as program_start,
        cast(parameters_in_force_at_conclusion.pepgb_value_per_task_text as decimal(18, 2)) as value_per_task,
        cast(parameters_in_force_at_conclusion.r410_min_ratio_text as decimal(9, 4)) as r410_min_ratio,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r410_pact_types_text') }}
            as r410_pact_types,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r415_allowed_cession_organs_text') }}
            as r415_allowed_cession_organs,
        cast(parameters_in_force_at_conclusion.r416_max_days_text as integer) as r416_max_days,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r409_assistencial_services_text') }}
            as r409_assistencial_services,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r409_incapacidade_services_text') }}
            as r409_incapacidade_services,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r409_assistencial_statuses_text') }}
            as r409_assistencial_statuses,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r409_incapacidade_statuses_text') }}
            as r409_incapacidade_statuses,
        {{ normalized_parameter_list('parameters_in_force_at_conclusion.r409_sub_decisions_text') }}
            as r409_sub_decisions
    from concluded_extraordinary_tasks
    inner join parameters_in_force_at_conclusion
        on concluded_extraordinary_tasks.task_id = parameters_in_force_at_conclusion.task_id
    cross join earliest_program_start

),

final as (

    select
        task_id,
        parent_task_id,
        parent_task_id is null as is_root_task,
        service_code,
        service_name,
        category,
        benefit_group,
        queue_code,
        nb,
        created_at,
        created_by,
        concluded_at,
        cast(concluded_at as date) as concluded_on,
        concluded_by as payee_siape,
        cast(date_trunc('month', concluded_at) as date) as reference_month,
        program_start,
        value_per_task,
        r410_min_ratio,
        r410_pact_types,
        r415_allowed_cession_organs,
        r416_max_days,
        r409_assistencial_services,
        r409_incapacidade_services,
        r409_assistencial_statuses,
        r409_incapacidade_statuses,
        r409_sub_decisions
    from tasks_with_parameters
    where concluded_at >= program_start

)

select * from final
