{#- The date the marts describe (var `as_of_date`, YYYY-MM-DD, UTC). -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}

{#- The first instant after the as-of date: "on or before the as-of date, end of day". -#}
{% macro as_of_day_end() -%}
    {{ dbt.dateadd('day', 1, as_of_date()) }}
{%- endmacro %}
