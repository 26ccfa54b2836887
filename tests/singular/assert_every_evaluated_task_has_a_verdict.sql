-- Every evaluated task reaches the verdict mart, and every rule violation
-- belongs to a task the run judged (its months' tasks, or for the rules across
-- months an earlier task sharing an NB): nothing is lost or invented between
-- the rule models and the marts.
-- The run's evaluated tasks are those of its months (int_tasks__evaluated), so
-- their verdicts are looked for in those months only: the verdict mart keeps
-- every month, and matching against all of it grew with the history (0.8 s at
-- 24 national months). A task of the run whose only verdict sits in another
-- month is missing its verdict here too.
with

evaluated_tasks as (

    select * from {{ ref('int_tasks__evaluated') }}

),

task_evaluations as (

    select * from {{ ref('fct_task_evaluations') }}
    where {{ in_month_of_this_run('reference_month') }}

),

rule_violations as (

    select * from {{ ref('int_tasks__rule_violations') }}

),

nb_reuse_scope as (

    select * from {{ ref('int_tasks__nb_reuse_scope') }}

),

missing_verdicts as (

    select
        evaluated_tasks.task_id,
        'no verdict' as problem
    from evaluated_tasks
    left join task_evaluations
        on evaluated_tasks.task_id = task_evaluations.task_id
    where task_evaluations.task_id is null

),

violations_of_unknown_tasks as (

    select
        rule_violations.task_id,
        'violation of a task that is not evaluated (' || rule_violations.rule_code || ')' as problem
    from rule_violations
    left join evaluated_tasks
        on rule_violations.task_id = evaluated_tasks.task_id
    left join nb_reuse_scope
        on rule_violations.task_id = nb_reuse_scope.task_id
    where evaluated_tasks.task_id is null and nb_reuse_scope.task_id is null

)

select * from missing_verdicts
union all
select * from violations_of_unknown_tasks
