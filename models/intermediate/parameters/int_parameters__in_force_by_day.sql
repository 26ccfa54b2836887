-- Contract 4 (v2): "A parameter row is in force from effective_from to
-- effective_to, both days inclusive (null effective_to = open)." The one place
-- ref_parameters is parsed: one row per calendar day with every parameter in
-- force that day, typed (dates, DECIMAL money and ratios, lowercase lists).
-- A name with no value in force on a day takes the contract's value from
-- ref_parameter_defaults, and program_start before its first row takes the
-- earliest program start, so no task is ever judged without a threshold.
-- Jinja loops below: indentation is checked by eye, not by sqlfluff.
-- sqlfluff:exclude_rules:layout.indent,layout.cte_bracket,structure.column_order,layout.long_lines,references.consistent,ambiguous.column_references,structure.using,references.keywords
{%- set text_parameters = [
    'program_start', 'pepgb_value_per_task', 'pepgb_cap_per_professional', 'pepgb_cap_period',
    'r410_min_ratio', 'r410_pact_types', 'r415_allowed_cession_organs', 'r416_max_days',
    'r409_assistencial_services', 'r409_incapacidade_services', 'r409_assistencial_statuses',
    'r409_incapacidade_statuses', 'r409_sub_decisions',
    'aps_cycle_first_start', 'aps_cycle_months', 'aps_cycle_window_days',
] %}
{#- The legal source of the value used, for the parameters whose marts report it. #}
{%- set sourced_parameters = ['aps_cycle_months', 'aps_cycle_window_days'] %}
with

parameters as (

    select * from {{ ref('stg_reference__parameters') }}

),

parameter_defaults as (

    select * from {{ ref('stg_reference__parameter_defaults') }}

),

-- Wide enough for any conclusion day a delivery can hold (the input checks
-- refuse timestamps after the delivery).
calendar_bounds as (

    select
        least(date '2000-01-01', min(effective_from)) as first_day,
        cast(greatest(current_date, max(effective_from), max(effective_to)) + interval 10 year as date) as last_day
    from parameters

),

calendar_days as (

    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
    from calendar_bounds

),

values_in_force as (

    select
        calendar_days.day,
        parameters.name,
        parameters.value,
        parameters.legal_source
    from calendar_days
    inner join parameters
        on {{ in_force_on('calendar_days.day', 'parameters') }}

),

values_by_day as (

    select
        calendar_days.day,
        {%- for name in text_parameters %}
        max(values_in_force.value) filter (where values_in_force.name = '{{ name }}') as {{ name }}_in_force,
        {%- endfor %}
        {%- for name in sourced_parameters %}
        max(values_in_force.legal_source) filter (
            where values_in_force.name = '{{ name }}'
        ) as {{ name }}_legal_source_in_force{{ ',' if not loop.last }}
        {%- endfor %}
    from calendar_days
    left join values_in_force
        on calendar_days.day = values_in_force.day
    group by calendar_days.day

),

defaults as (

    select
        {%- for name in text_parameters %}
        max(value) filter (where name = '{{ name }}') as {{ name }}_default,
        {%- endfor %}
        {%- for name in sourced_parameters %}
        max(reason) filter (where name = '{{ name }}') as {{ name }}_legal_source_default{{ ',' if not loop.last }}
        {%- endfor %}
    from parameter_defaults

),

earliest_program_start as (

    select min_by(value, effective_from) as program_start_earliest
    from parameters
    where name = 'program_start'

),

text_by_day as (

    select
        values_by_day.day,
        coalesce(
            values_by_day.program_start_in_force,
            earliest_program_start.program_start_earliest,
            defaults.program_start_default
        ) as program_start,
        {%- for name in text_parameters if name != 'program_start' %}
        coalesce(values_by_day.{{ name }}_in_force, defaults.{{ name }}_default) as {{ name }},
        {%- endfor %}
        {%- for name in sourced_parameters %}
        case
            when values_by_day.{{ name }}_in_force is not null then values_by_day.{{ name }}_legal_source_in_force
            else defaults.{{ name }}_legal_source_default
        end as {{ name }}_legal_source{{ ',' if not loop.last }}
        {%- endfor %}
    from values_by_day
    cross join defaults
    cross join earliest_program_start

),

final as (

    select
        day,
        {{ typed_parameter('program_start', 'date') }} as program_start,
        {{ typed_parameter('pepgb_value_per_task', 'decimal(18, 2)') }} as value_per_task,
        {{ typed_parameter('pepgb_cap_per_professional', 'decimal(18, 2)') }} as cap_per_professional,
        lower(trim(pepgb_cap_period)) as cap_period,
        {{ typed_parameter('r410_min_ratio', 'decimal(9, 4)') }} as r410_min_ratio,
        {{ parameter_list('r410_pact_types') }} as r410_pact_types,
        {{ parameter_list('r415_allowed_cession_organs') }} as r415_allowed_cession_organs,
        {{ typed_parameter('r416_max_days', 'integer') }} as r416_max_days,
        cast({{ parameter_list('r409_assistencial_services') }} as integer[]) as r409_assistencial_services,
        cast({{ parameter_list('r409_incapacidade_services') }} as integer[]) as r409_incapacidade_services,
        {{ parameter_list('r409_assistencial_statuses') }} as r409_assistencial_statuses,
        {{ parameter_list('r409_incapacidade_statuses') }} as r409_incapacidade_statuses,
        {{ parameter_list('r409_sub_decisions') }} as r409_sub_decisions,
        {{ typed_parameter('aps_cycle_first_start', 'date') }} as aps_cycle_first_start,
        {{ typed_parameter('aps_cycle_months', 'integer') }} as aps_cycle_months,
        {{ typed_parameter('aps_cycle_window_days', 'integer') }} as aps_cycle_window_days,
        aps_cycle_months_legal_source,
        aps_cycle_window_days_legal_source
    from text_by_day

)

select * from final
