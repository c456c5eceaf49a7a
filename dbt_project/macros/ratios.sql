{#- A rate or ratio as DOUBLE; NULL (never an error or 0) when the denominator is zero or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Money divided by a count or amount, rounded to cents; NULL when the denominator is 0 or NULL. -#}
{% macro money_divide(numerator, denominator) -%}
    cast({{ numerator }} / nullif({{ denominator }}, 0) as decimal(18, 2))
{%- endmacro %}
