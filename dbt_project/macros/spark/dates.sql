{#-
    dbt.dateadd and dbt.datediff on Spark, with DuckDB's meaning and NULL for NULL.
    dbt-spark's own versions assert their arguments are not NULL (a NULL first follow-up or
    exit time must stay NULL here) and expand to several copies of each argument, so nested
    calls (periods.sql) make view texts longer than the Hive metastore keeps (32,700
    characters in Derby).
-#}

{#-
    DuckDB adds `interval * unit` to a date or timestamp and returns a timestamp; months clamp
    to the end of the month (Jan 31 + 1 month = Feb 28/29). Spark's timestampadd does the same.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd(
        {{ datepart | lower }},
        cast({{ interval }} as bigint),
        cast({{ from_date_or_timestamp }} as timestamp)
    )
{%- endmacro %}

{#-
    DuckDB's date_diff counts the unit's boundaries crossed from the first to the second
    date or timestamp (23:00 to 01:00 the next day is 1 day), as a bigint. Spark's
    timestampdiff counts whole units instead, so each unit is spelled out.
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'day' -%}
        cast(datediff(cast({{ second_date }} as date), cast({{ first_date }} as date)) as bigint)
    {%- elif part in ['month', 'quarter', 'year'] -%}
        {%- set months = {'month': 1, 'quarter': 3, 'year': 12}[part] -%}
        (
            (year({{ second_date }}) * 12 + month({{ second_date }}) - 1) div {{ months }}
            - (year({{ first_date }}) * 12 + month({{ first_date }}) - 1) div {{ months }}
        )
    {%- elif part in ['hour', 'minute', 'second'] -%}
        {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[part] -%}
        (
            floor(unix_seconds(cast({{ second_date }} as timestamp)) / {{ seconds }})
            - floor(unix_seconds(cast({{ first_date }} as timestamp)) / {{ seconds }})
        )
    {%- elif part == 'millisecond' -%}
        (
            unix_millis(cast({{ second_date }} as timestamp))
            - unix_millis(cast({{ first_date }} as timestamp))
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "datediff: datepart '" ~ datepart ~ "' is not implemented for Spark in this project"
        ) }}
    {%- endif -%}
{%- endmacro %}
