{#-
  `relationships` between two tables that keep every month's rows, both keyed
  by the same reference month (a task's payment and its verdict, a violation
  and its verdict): in a run over some months, each child row of those months
  must find its parent among the parent's rows of the same months. Both sides
  stay the size of the run, where the plain test read the whole parent history
  on every monthly run. A run over every month checks every row.
  `to_months_only=false`: the parent has no reference month (a monthly
  delivery's tasks): the run's child rows are looked up among all its rows.
-#}
{% test relationships_in_this_run(
    model, column_name, to, field, reference_column='reference_month', to_months_only=true
) %}
{%- set parent_rows = in_month_of_this_run(reference_column) if to_months_only else 'true' %}

with

children as (

    select {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null and {{ in_month_of_this_run(reference_column) }}

),

parents as (

    select {{ field }} as parent_key
    from {{ to }}
    where {{ parent_rows }}

),

final as (

    select children.child_key as {{ column_name }}
    from children
    left join parents on children.child_key = parents.parent_key
    where parents.parent_key is null

)

select * from final

{% endtest %}
