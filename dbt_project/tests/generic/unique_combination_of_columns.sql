{#-
    Generic test: no two rows share the same values of `combination_of_columns` (a composite
    key). Fails with one row per duplicated combination. NULL keys are checked by not_null tests.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

with

duplicated_combinations as (
    select
        {{ columns_csv }},
        count(*) as n_records
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
)

select * from duplicated_combinations

{% endtest %}
