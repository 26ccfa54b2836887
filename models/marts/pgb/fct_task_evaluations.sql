-- Portaria PRES/INSS nº 1.839/2025, Anexo II (redação da Portaria 1.854/2025) and
-- contract 4: one verdict per evaluated task, with one boolean column per rule
-- (contract 5). Rejected when any rule fires; otherwise held when the task cannot
-- be fully judged (int_tasks__hold_reasons); otherwise approved and paid the
-- value per task in force at its conclusion.
-- Partitioned by reference month: a run for some months (pgb_month) rewrites
-- their verdicts and revises, from the rules that look across months (R430,
-- R432), the earlier tasks whose verdict a reuse of their NB changes; a run over
-- every month rewrites them all.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords,aliasing.unused
-- full_refresh=false: --full-refresh (Dagster passes it for the seeds) never drops
-- the history; a run over every month replaces every row through the pre-hook.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='task_id',
        on_schema_change='sync_all_columns',
        full_refresh=false,
        pre_hook="{{ delete_rows_this_run_replaces('reference_month') }}"
    )
}}
{%- set rules = pgb_rules() %}
{%- set month = pgb_month() %}
{%- set revising = is_incremental() and month %}
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

rule_violations as (

    select * from {{ ref('int_tasks__rule_violations') }}

),

hold_reasons as (

    select * from {{ ref('int_tasks__hold_reasons') }}

),

professionals as (

    select * from {{ ref('stg_siape__professionals') }}

),

nb_reuse_scope as (

    select * from {{ ref('int_tasks__nb_reuse_scope') }}

),

rules_by_task as (

    select
        task_id,
        {%- for rule in rules %}
        bool_or(rule_code = '{{ rule.code }}') as {{ rule.code | lower }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rule_violations
    group by task_id

),

tasks_of_the_run as (

    select
        evaluated_tasks.task_id,
        evaluated_tasks.payee_siape,
        evaluated_tasks.reference_month,
        evaluated_tasks.queue_code,
        evaluated_tasks.service_code,
        evaluated_tasks.service_name,
        evaluated_tasks.category,
        evaluated_tasks.benefit_group,
        evaluated_tasks.nb,
        evaluated_tasks.parent_task_id,
        evaluated_tasks.is_root_task,
        evaluated_tasks.created_at,
        evaluated_tasks.created_by,
        evaluated_tasks.concluded_at,
        professionals.unit_code as payee_unit_code,
        {%- for rule in rules %}
        coalesce(rules_by_task.{{ rule.code | lower }}, false) as {{ rule.code | lower }},
        {%- endfor %}
        hold_reasons.held_reason as unjudgeable_reason,
        evaluated_tasks.value_per_task
    from evaluated_tasks
    left join rules_by_task
        on evaluated_tasks.task_id = rules_by_task.task_id
    left join hold_reasons
        on evaluated_tasks.task_id = hold_reasons.task_id
    left join professionals
        on evaluated_tasks.payee_siape = professionals.siape

),

{%- if revising %}

-- The tasks of other months in the NB scope, the only stored verdicts the run
-- may revise. Taken from the scope first, they are few: DuckDB then reads the
-- stored verdicts of those tasks alone (2.5 s to 0.7 s at 24 months of national
-- history, where a semi join with the whole scope read every stored verdict).
-- A task whose conclusion moved into this month is judged with this month's
-- tasks, not revised in its old month as well.
earlier_tasks_in_nb_scope as (

    select task_id
    from nb_reuse_scope
    where not {{ in_month_of_this_run('reference_month') }}

),

-- Tasks of other months sharing an NB with this month's tasks: their own
-- month's rules stand as stored; only the rules across months are judged again,
-- and a task is rewritten only when one of them changed.
earlier_tasks_revised as (

    select
        stored.task_id,
        stored.payee_siape,
        stored.reference_month,
        stored.queue_code,
        stored.service_code,
        stored.service_name,
        stored.category,
        stored.benefit_group,
        stored.nb,
        stored.parent_task_id,
        stored.is_root_task,
        stored.created_at,
        stored.created_by,
        stored.concluded_at,
        stored.payee_unit_code,
        {%- for rule in rules %}
        {%- if rule.across_months %}
        coalesce(rules_by_task.{{ rule.code | lower }}, false) as {{ rule.code | lower }},
        {%- else %}
        stored.{{ rule.code | lower }},
        {%- endif %}
        {%- endfor %}
        stored.unjudgeable_reason,
        stored.value_per_task
    from {{ this }} as stored
    semi join earlier_tasks_in_nb_scope
        on stored.task_id = earlier_tasks_in_nb_scope.task_id
    left join rules_by_task
        on stored.task_id = rules_by_task.task_id
    where
        not {{ in_month_of_this_run('stored.reference_month') }}
        and (
            false
            {%- for rule in rules if rule.across_months %}
            or stored.{{ rule.code | lower }} <> coalesce(rules_by_task.{{ rule.code | lower }}, false)
            {%- endfor %}
        )

),

{%- endif %}

judged_tasks as (

    select * from tasks_of_the_run
    {%- if revising %}
    union all
    select * from earlier_tasks_revised
    {%- endif %}

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
            when {% for rule in rules %}{{ rule.code | lower }} or {% endfor %}false then 'rejected'
            when unjudgeable_reason is not null then 'held'
            else 'approved'
        end as outcome,
        case
            when not ({% for rule in rules %}{{ rule.code | lower }} or {% endfor %}false) then unjudgeable_reason
        end as held_reason,
        concat_ws(
            ','
            {%- for rule in rules %},
            case when {{ rule.code | lower }} then '{{ rule.code }}' end
            {%- endfor %}
        ) as rejection_rules,
        cast(
            case
                when not ({% for rule in rules %}{{ rule.code | lower }} or {% endfor %}false) and unjudgeable_reason is null
                    then value_per_task
                else 0
            end as decimal(18, 2)
        ) as payment_amount,
        value_per_task,
        unjudgeable_reason,
        cast(current_timestamp as timestamp) as verdict_written_at
    from judged_tasks

)

select * from final
