{#-
    Exact milliseconds from `start_at` to `end_at` (timestamps), as a bigint; NULL when either
    is NULL. Salesforce datetimes carry milliseconds and durations keep them (sources
    contract); integer milliseconds add up exactly, so means over them are bit-identical from
    run to run whatever the summation order.
-#}
{% macro duration_milliseconds(start_at, end_at) -%}
    cast({{ dbt.datediff(start_at, end_at, 'millisecond') }} as bigint)
{%- endmacro %}

{#- Milliseconds in an hour and in a day, for durations in fractional hours or days. -#}
{% macro milliseconds_per(unit) -%}
    {{ {'hour': 3600000, 'day': 86400000}[unit] }}
{%- endmacro %}
