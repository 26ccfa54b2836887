{#-
  `unique` for the tables that keep every month's rows (the verdicts, the
  payments, the NB uses): in a run over some months, each key of those months'
  rows must appear once in the whole table, so a task that moved to this month
  while its row of an earlier month stayed is still caught. Only the run's keys
  are counted: the plain `unique` grouped the whole history on every monthly
  run (2 s per table at 12 months of national history, and growing). A run over
  every month (no pgb_month) checks every key.
-#}
{% test unique_in_this_run(model, column_name, reference_column='reference_month') %}

with

keys_of_this_run as (

    select {{ column_name }} as key_of_this_run
    from {{ model }}
    where {{ in_month_of_this_run(reference_column) }}

),

final as (

    select
        {{ column_name }},
        count(*) as n_records
    from {{ model }}
    -- The range changes no result (every key of the run is in it) but lets
    -- DuckDB skip the row groups whose keys all lie outside it (macros/delete_insert.sql).
    where {{ key_in_keys_of(column_name, 'keys_of_this_run', 'key_of_this_run') }}
    group by {{ column_name }}
    having count(*) > 1

)

select * from final

{% endtest %}
