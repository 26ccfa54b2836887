-- Issue 11: the task rows of the export = evaluated tasks + tasks out of scope,
-- by reason. Fails when int_tasks__scope loses or repeats a row of
-- stg_get__tasks, leaves a row without a reason, or counts another number of
-- evaluated tasks than int_tasks__evaluated.
with

tasks as (

    select count(*) as task_rows from {{ ref('stg_get__tasks') }}

),

scope as (

    select
        count(*) as scope_rows,
        count(*) filter (where scope_reason = 'evaluated') as evaluated_rows,
        count(*) filter (where scope_reason is null) as rows_without_reason
    from {{ ref('int_tasks__scope') }}

),

evaluated_tasks as (

    select count(*) as evaluated_tasks from {{ ref('int_tasks__evaluated') }}

),

problems as (

    select 'export rows ' || tasks.task_rows || ', accounted for ' || scope.scope_rows as problem
    from tasks
    cross join scope
    where tasks.task_rows <> scope.scope_rows
    union all
    select 'evaluated by scope ' || scope.evaluated_rows || ', in int_tasks__evaluated ' || evaluated_tasks.evaluated_tasks
    from scope
    cross join evaluated_tasks
    where scope.evaluated_rows <> evaluated_tasks.evaluated_tasks
    union all
    select scope.rows_without_reason || ' task row(s) without a scope reason'
    from scope
    where scope.rows_without_reason > 0

)

select * from problems
