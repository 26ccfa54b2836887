-- Every parameter the contract names (ref_parameter_defaults) has rows in
-- ref_parameters, none of them blank: the contract's value stands in for a
-- missing or blank one only so a run never fails half-way, and this test makes
-- the gap visible. (The cap has no contract value: blank means no cap.)
with

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

parameter_defaults as (

    select * from {{ ref('stg_reference__parameter_defaults') }}

),

missing_parameters as (

    select
        parameter_defaults.name,
        'no row in ref_parameters' as problem
    from parameter_defaults
    left join parameters
        on parameter_defaults.name = parameters.name
    where parameters.name is null

),

blank_parameters as (

    select
        parameters.name,
        'blank value from ' || cast(parameters.effective_from as varchar) as problem
    from parameters
    inner join parameter_defaults
        on parameters.name = parameter_defaults.name
    where parameters.value is null

)

select * from missing_parameters
union all
select * from blank_parameters
