{#- First day of the calendar month of a date or timestamp (UTC). -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#-
    First day of the fiscal quarter of a date or timestamp (UTC). The fiscal year starts in
    month var('fiscal_year_start_month') (1 = January), so quarters start in that month and
    every third month after it.
-#}
{% macro fiscal_quarter_start(expression) -%}
    {%- set start_month = var('fiscal_year_start_month') | int -%}
    cast({{ dbt.dateadd(
        'month',
        '-1 * ((extract(month from ' ~ expression ~ ') + ' ~ (12 - start_month) ~ ') % 3)',
        dbt.date_trunc('month', expression),
    ) }} as date)
{%- endmacro %}

{#- Last day of the fiscal quarter that starts on `quarter_start` (a date). -#}
{% macro fiscal_quarter_end(quarter_start) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, quarter_start)) }} as date)
{%- endmacro %}

{#-
    The `quarter_count` fiscal quarters that end with the fiscal quarter of the as-of date:
    a select of quarter_start and quarter_end, newest first.
-#}
{% macro fiscal_quarters_up_to_as_of(quarter_count) -%}
    select
        cast({{ dbt.dateadd(
            'month',
            '-3 * (quarter_numbers.generated_number - 1)',
            fiscal_quarter_start(as_of_date()),
        ) }} as date) as quarter_start,
        {{ fiscal_quarter_end(dbt.dateadd(
            'month',
            '-3 * (quarter_numbers.generated_number - 1)',
            fiscal_quarter_start(as_of_date()),
        )) }} as quarter_end
    from ({{ dbt.generate_series(quarter_count) }}) as quarter_numbers
{%- endmacro %}

{#- Last day of the calendar month of a date or timestamp (UTC). -#}
{% macro month_end(expression) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start(expression))) }} as date)
{%- endmacro %}
