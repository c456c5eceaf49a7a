{#- A rate or ratio as DOUBLE; NULL (never an error or 0) when the denominator is zero or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Money divided by a count or amount, rounded to cents; NULL when the denominator is 0 or NULL. -#}
{% macro money_divide(numerator, denominator) -%}
    {{ adapter.dispatch('money_divide')(numerator, denominator) }}
{%- endmacro %}

{#- DuckDB divides decimals as DOUBLE and rounds the quotient half away from zero to cents. -#}
{% macro default__money_divide(numerator, denominator) -%}
    cast({{ numerator }} / nullif({{ denominator }}, 0) as decimal(18, 2))
{%- endmacro %}

{#-
    Spark divides decimals exactly and rounds the digits of the quotient's shortest decimal
    form; DuckDB rounds the DOUBLE quotient times 100 (0.145 is 0.14 there, 0.15 here). Same
    quotient, same rounding: cents = round(DOUBLE quotient * 100).
-#}
{% macro spark__money_divide(numerator, denominator) -%}
    cast(
        round(cast({{ numerator }} as double) / nullif({{ denominator }}, 0) * 100) / 100
        as decimal(18, 2)
    )
{%- endmacro %}
