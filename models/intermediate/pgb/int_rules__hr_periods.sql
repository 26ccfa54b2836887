-- Portaria PRES/INSS 1.839/2025, Anexo II, R414 (licença sem vencimento), R415
-- (cedido fora do Ministério da Previdência Social), R416 (afastamento superior
-- a 180 dias ininterruptos) and R417 (inativo): the payee's SIAPE periods on the
-- conclusion day (contract 3; periods are inclusive, a null end is open; R416 as
-- read by contract v2: the days the absence had lasted on the conclusion day).
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

hr_periods as (

    select * from {{ ref('stg_siape__hr_periods') }}

),

periods_on_conclusion_day as (

    select
        evaluated_tasks.task_id,
        hr_periods.period_id,
        hr_periods.kind,
        hr_periods.ceded_to,
        'período ' || hr_periods.period_id || ' de ' || {{ evidence_date('hr_periods.start_date') }}
        || ' a ' || coalesce({{ evidence_date('hr_periods.end_date') }}, 'em aberto') as period_label,
        not {{ in_parameter_list('hr_periods.ceded_to', 'evaluated_tasks.r415_allowed_cession_organs') }}
            as is_cession_outside_allowed_organs
    from evaluated_tasks
    inner join hr_periods
        on
            evaluated_tasks.payee_siape = hr_periods.siape
            and evaluated_tasks.concluded_on >= hr_periods.start_date
            and (hr_periods.end_date is null or evaluated_tasks.concluded_on <= hr_periods.end_date)
    where hr_periods.kind in ('licenca_sem_vencimento', 'cessao', 'inatividade')

),

period_rules_by_task as (

    select
        task_id,
        bool_or(kind = 'licenca_sem_vencimento') as r414,
        string_agg(period_label, '; ' order by period_id) filter (
            where kind = 'licenca_sem_vencimento'
        ) as r414_periods,
        bool_or(kind = 'cessao' and is_cession_outside_allowed_organs) as r415,
        string_agg(period_label || ', cedido a ' || coalesce(ceded_to, '(órgão não informado)'), '; ' order by period_id)
        filter (where kind = 'cessao' and is_cession_outside_allowed_organs) as r415_periods,
        bool_or(kind = 'inatividade') as r417,
        string_agg(period_label, '; ' order by period_id) filter (where kind = 'inatividade') as r417_periods
    from periods_on_conclusion_day
    group by task_id

),

-- R416 (contract v2): judged on the conclusion day. Overlapping or
-- consecutive-day afastamento periods of the payee merge into one run; what
-- counts is how long the run had lasted on that day, so its end (open or
-- filled in later) never changes a verdict. An open period runs on without end.
afastamentos as (

    select
        siape,
        period_id,
        start_date,
        end_date,
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

afastamento_run_on_conclusion_day as (

    select
        evaluated_tasks.task_id,
        afastamento_runs.run_start_date,
        afastamento_runs.run_period_ids,
        evaluated_tasks.concluded_on - afastamento_runs.run_start_date + 1 as days_elapsed,
        evaluated_tasks.concluded_on - afastamento_runs.run_start_date + 1
        > evaluated_tasks.r416_max_days as exceeds_max_days,
        evaluated_tasks.r416_max_days
    from evaluated_tasks
    inner join afastamento_runs
        on
            evaluated_tasks.payee_siape = afastamento_runs.siape
            and evaluated_tasks.concluded_on
            between afastamento_runs.run_start_date and afastamento_runs.run_end_date_or_open

),

final as (

    select
        evaluated_tasks.task_id,
        coalesce(period_rules_by_task.r414, false) as r414,
        case
            when period_rules_by_task.r414
                then
                    'Conclusão em ' || {{ evidence_date('evaluated_tasks.concluded_on') }}
                    || ' durante licença sem vencimento do servidor ' || evaluated_tasks.payee_siape
                    || ' (' || period_rules_by_task.r414_periods || ').'
        end as r414_evidence,
        coalesce(period_rules_by_task.r415, false) as r415,
        case
            when period_rules_by_task.r415
                then
                    'Conclusão em ' || {{ evidence_date('evaluated_tasks.concluded_on') }}
                    || ' durante cessão do servidor ' || evaluated_tasks.payee_siape
                    || ' fora do Ministério da Previdência Social (' || period_rules_by_task.r415_periods || ').'
        end as r415_evidence,
        coalesce(afastamento_run_on_conclusion_day.exceeds_max_days, false) as r416,
        case
            when afastamento_run_on_conclusion_day.exceeds_max_days
                then
                    'Conclusão em ' || {{ evidence_date('evaluated_tasks.concluded_on') }}
                    || ', no ' || cast(afastamento_run_on_conclusion_day.days_elapsed as varchar)
                    || 'º dia de afastamento ininterrupto do servidor ' || evaluated_tasks.payee_siape
                    || ', iniciado em ' || {{ evidence_date('afastamento_run_on_conclusion_day.run_start_date') }}
                    || ' (' || cast(afastamento_run_on_conclusion_day.days_elapsed as varchar) || ' dias decorridos > '
                    || cast(afastamento_run_on_conclusion_day.r416_max_days as varchar) || '; períodos '
                    || afastamento_run_on_conclusion_day.run_period_ids || ').'
        end as r416_evidence,
        coalesce(period_rules_by_task.r417, false) as r417,
        case
            when period_rules_by_task.r417
                then
                    'Conclusão em ' || {{ evidence_date('evaluated_tasks.concluded_on') }}
                    || ' com o servidor ' || evaluated_tasks.payee_siape || ' inativo ('
                    || period_rules_by_task.r417_periods || ').'
        end as r417_evidence
    from evaluated_tasks
    left join period_rules_by_task
        on evaluated_tasks.task_id = period_rules_by_task.task_id
    left join afastamento_run_on_conclusion_day
        on evaluated_tasks.task_id = afastamento_run_on_conclusion_day.task_id

)

select * from final
