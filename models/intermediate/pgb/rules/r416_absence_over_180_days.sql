-- Portaria PRES/INSS nº 1.839/2025, Anexo II, R416 (redação da Portaria 1.854/2025).
-- Contract 3 (v2): date(concluded_at) lies in a run of afastamento periods of the
-- payee (overlapping or consecutive-day periods merged) that on that day had
-- already lasted more than r416_max_days (180): concluded_on - run_start + 1 > 180.
-- The run's end, open or filled in later, never changes the verdict.
{% macro pgb_rule__r416_absence_over_180_days() %}{{ return('R416') }}{% endmacro %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

parameters_by_day as (

    select * from {{ ref('int_parameters__in_force_by_day') }}

),

hr_periods as (

    select * from {{ ref('stg_siape__hr_periods') }}

),

afastamentos as (

    select
        siape,
        period_id,
        start_date,
        -- An open period has no end yet: it bridges every later period.
        coalesce(end_date, date '9999-12-31') as end_date_or_open
    from hr_periods
    where kind = 'afastamento'

),

afastamentos_with_previous_end as (

    select
        *,
        max(end_date_or_open) over (
            partition by siape
            order by start_date, end_date_or_open, period_id
            rows between unbounded preceding and 1 preceding
        ) as latest_previous_end_date
    from afastamentos

),

afastamentos_numbered_by_run as (

    select
        *,
        sum(
            case
                when latest_previous_end_date is null or start_date > latest_previous_end_date + 1 then 1
                else 0
            end
        ) over (
            partition by siape
            order by start_date, end_date_or_open, period_id
            rows between unbounded preceding and current row
        ) as run_number
    from afastamentos_with_previous_end

),

afastamento_runs as (

    select
        siape,
        run_number,
        min(start_date) as run_start_date,
        max(end_date_or_open) as run_end_date_or_open,
        string_agg(period_id, ', ' order by start_date, period_id) as run_period_ids
    from afastamentos_numbered_by_run
    group by siape, run_number

),

runs_on_conclusion_day as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.concluded_on,
        afastamento_runs.run_start_date,
        afastamento_runs.run_period_ids,
        evaluated_tasks.concluded_on - afastamento_runs.run_start_date + 1 as days_elapsed,
        parameters_by_day.r416_max_days
    from evaluated_tasks
    inner join parameters_by_day
        on evaluated_tasks.concluded_on = parameters_by_day.day
    inner join afastamento_runs
        on
            evaluated_tasks.payee_siape = afastamento_runs.siape
            and evaluated_tasks.concluded_on
            between afastamento_runs.run_start_date and afastamento_runs.run_end_date_or_open

),

final as (

    select
        task_id,
        'Conclusão em ' || {{ evidence_date('concluded_on') }}
        || ', no ' || cast(days_elapsed as varchar)
        || 'º dia de afastamento ininterrupto do servidor ' || payee_siape
        || ', iniciado em ' || {{ evidence_date('run_start_date') }}
        || ' (' || cast(days_elapsed as varchar) || ' dias decorridos > '
        || cast(r416_max_days as varchar) || '; períodos ' || run_period_ids || ').' as evidence
    from runs_on_conclusion_day
    where days_elapsed > r416_max_days

)

select * from final
