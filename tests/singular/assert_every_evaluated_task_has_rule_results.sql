-- Every evaluated task reaches the verdict with all its rule columns: a task
-- missing from any rule family would otherwise drop out of the close unseen.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

task_rule_results as (

    select * from {{ ref('int_tasks__rule_results') }}

),

task_evaluations as (

    select * from {{ ref('fct_task_evaluations') }}

)

select evaluated_tasks.task_id
from evaluated_tasks
left join task_rule_results
    on evaluated_tasks.task_id = task_rule_results.task_id
left join task_evaluations
    on evaluated_tasks.task_id = task_evaluations.task_id
where task_rule_results.task_id is null or task_evaluations.task_id is null
