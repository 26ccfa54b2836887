-- Every parameter has exactly one value in force on every day from the program
-- start (or its own first effective day, if earlier) to today: a gap would
-- leave a rule without its threshold, an overlap would make it ambiguous.
with

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

program_start as (

    select min(cast(value as date)) as program_start
    from parameters
    where name = 'program_start'

),

first_day_by_parameter as (

    select
        parameters.name,
        least(min(parameters.effective_from), min(program_start.program_start)) as first_day
    from parameters
    cross join program_start
    group by parameters.name

),

days_by_parameter as (

    select
        name,
        cast(unnest(generate_series(first_day, current_date, interval 1 day)) as date) as day
    from first_day_by_parameter

),

values_in_force as (

    select
        days_by_parameter.name,
        days_by_parameter.day,
        count(parameters.name) as values_in_force
    from days_by_parameter
    left join parameters
        on
            days_by_parameter.name = parameters.name
            and {{ in_force_on('days_by_parameter.day', 'parameters') }}
    group by days_by_parameter.name, days_by_parameter.day

)

select *
from values_in_force
where values_in_force <> 1
