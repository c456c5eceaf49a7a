{#- First day of the calendar month of a date or timestamp (UTC). -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}
