with

source as (

    select * from {{ pgb_export('raw_pgd_plans') }}

),

typed as (

    select
        nullif(trim(cast(siape as varchar)), '') as siape,
        cast(reference_month as date) as reference_month,
        cast(pact_type as varchar) as pact_type,
        cast(net_target_points as decimal(18, 4)) as net_target_points,
        cast(achieved_points as decimal(18, 4)) as achieved_points
    from source

)

select * from typed
