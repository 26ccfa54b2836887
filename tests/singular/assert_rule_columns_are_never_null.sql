-- Contract 5: the rule columns of fct_task_evaluations are boolean, never null.
-- They are derived from the rule models, so this test follows them by itself.
{%- set rules = pgb_rules() %}
with

task_evaluations as (

    select * from {{ ref('fct_task_evaluations') }}

)

select task_id
from task_evaluations
where
    false
    {%- for rule in rules %}
        or {{ rule.code | lower }} is null
    {%- endfor %}
