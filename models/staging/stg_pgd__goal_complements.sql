with

source as (

    select * from {{ pgb_export('raw_pgd_goal_complements') }}

),

typed as (

    select
        nullif(trim(cast(task_id as varchar)), '') as task_id,
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(reference_month as date) as reference_month,
        cast(points as decimal(18, 4)) as points
    from source

)

select * from typed
