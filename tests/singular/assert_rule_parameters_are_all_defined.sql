-- Every rule parameter the models read has rows in ref_parameters: the
-- contract's default stands in for a missing one only so a run never fails
-- half-way; this test makes the gap visible.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set parameter_defaults = pgb_contract_parameter_defaults() %}
with

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

expected_parameters as (

    {%- for name in parameter_defaults %}
    select '{{ name }}' as name
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select expected_parameters.name as missing_parameter
from expected_parameters
left join parameters
    on expected_parameters.name = parameters.name
where parameters.name is null
