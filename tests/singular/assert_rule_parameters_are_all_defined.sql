-- Every parameter the contract names (ref_parameter_defaults) has rows in
-- ref_parameters: the contract's value stands in for a missing one only so a
-- run never fails half-way; this test makes the gap visible.
with

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

parameter_defaults as (

    select * from {{ ref('stg_reference__parameter_defaults') }}

)

select parameter_defaults.name as missing_parameter
from parameter_defaults
left join parameters
    on parameter_defaults.name = parameters.name
where parameters.name is null
