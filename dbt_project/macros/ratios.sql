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

{#-
    The sales ratios, each defined once (the marts keep their contract names; a column named
    otherwise says "same formula as ..." in its description).
-#}

{#- Share of closed opportunities that were won: won / (won + lost); NULL when nothing closed. -#}
{% macro win_rate(won_count, lost_count) -%}
    {{ safe_divide(won_count, won_count ~ ' + ' ~ lost_count) }}
{%- endmacro %}

{#- Mean won amount per won opportunity, rounded to cents; NULL when nothing was won. -#}
{% macro average_deal_size(won_amount, won_count) -%}
    {{ money_divide(won_amount, won_count) }}
{%- endmacro %}

{#- Credited bookings as a share of quota (may exceed 1); NULL when the quota is NULL or 0. -#}
{% macro quota_attainment_rate(credited_bookings, quota_amount) -%}
    {{ safe_divide(credited_bookings, quota_amount) }}
{%- endmacro %}

{#-
    A sum of money with the same type on every engine, decimal(38, 2): DuckDB widens
    sum(decimal(p, 2)) to 38 digits, Spark to p + 10.
-#}
{% macro money_sum(amount) -%}
    {{ dbt.cast('sum(' ~ amount ~ ')', 'decimal(38, 2)') }}
{%- endmacro %}

{#-
    An amount of money computed as a DOUBLE, rounded to cents half away from zero as the decimal
    number it stands for, the same on every engine: first to 6 decimals (dropping the binary
    noise: 150.035 is stored as 150.03499999...), then to cents in DECIMAL. round(double, 2)
    alone rounds the binary value on DuckDB (150.03) and the shortest decimal form on Spark
    (150.04).
-#}
{% macro round_money(amount) -%}
    cast(round(cast(round({{ amount }}, 6) as decimal(38, 6)), 2) as decimal(18, 2))
{%- endmacro %}
