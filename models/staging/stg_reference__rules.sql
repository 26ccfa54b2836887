with

source as (

    select * from {{ ref('ref_rules') }}

),

typed as (

    select
        nullif(trim(cast(rule_code as varchar)), '') as rule_code,
        cast(title as varchar) as title,
        cast(legal_text as varchar) as legal_text,
        cast(legal_source as varchar) as legal_source,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to
    from source

)

select * from typed
