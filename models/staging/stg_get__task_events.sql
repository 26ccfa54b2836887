with

source as (

    select * from {{ pgb_export('raw_task_events') }}

),

typed as (

    select
        nullif(trim(cast(event_id as varchar)), '') as event_id,
        nullif(trim(cast(task_id as varchar)), '') as task_id,
        cast(event_type as varchar) as event_type,
        cast(occurred_at as timestamp) as occurred_at,
        nullif(trim(cast(siape as varchar)), '') as siape
    from source

)

select * from typed
