-- Portaria PRES/INSS nº 1.839/2025, Anexo II (redação da Portaria 1.854/2025) and
-- contract 4: one verdict per evaluated task, with one boolean column per rule
-- (contract 5). Rejected when any rule fires; otherwise held when the task cannot
-- be fully judged (int_tasks__hold_reasons); otherwise approved and paid the
-- value per task in force at its conclusion.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set rules = pgb_rules() %}
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

rules_by_task as (

    select
        task_id,
        {%- for rule in rules %}
        bool_or(rule_code = '{{ rule.code }}') as {{ rule.code | lower }},
        {%- endfor %}
        string_agg(rule_code, ',' order by rule_code) as rejection_rules
    from rule_violations
    group by task_id

),

final as (

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
        case
            when rules_by_task.task_id is not null then 'rejected'
            when hold_reasons.task_id is not null then 'held'
            else 'approved'
        end as outcome,
        case when rules_by_task.task_id is null then hold_reasons.held_reason end as held_reason,
        coalesce(rules_by_task.rejection_rules, '') as rejection_rules,
        evaluated_tasks.value_per_task,
        cast(
            case
                when rules_by_task.task_id is null and hold_reasons.task_id is null then evaluated_tasks.value_per_task
                else 0
            end as decimal(18, 2)
        ) as payment_amount
    from evaluated_tasks
    left join rules_by_task
        on evaluated_tasks.task_id = rules_by_task.task_id
    left join hold_reasons
        on evaluated_tasks.task_id = hold_reasons.task_id
    left join professionals
        on evaluated_tasks.payee_siape = professionals.siape

)

select * from final
