{#- The date the marts describe, YYYY-MM-DD (UTC): the var `as_of_date` when one is given
    (`dbt build --vars`, a unit test's overrides), else the environment variable SPM_AS_OF_DATE
    (what the orchestrator sets for its dbt runs), else the date the run started.

    Read only when dbt executes. While dbt parses (`execute` is false) the value is a fixed
    placeholder, so a new date every night leaves partial parsing valid: dbt re-parses every
    file when `--vars` change, and every file that read an environment variable at parse time
    when that variable changes. -#}
{% macro as_of_date_value() -%}
    {%- if not execute -%}
        1970-01-01
    {%- else -%}
        {{- var('as_of_date', none) or env_var('SPM_AS_OF_DATE', '') or run_started_at.strftime('%Y-%m-%d') -}}
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ as_of_date_value() }}' as date)
{%- endmacro %}

{#- The first instant after the as-of date: "on or before the as-of date, end of day". -#}
{% macro as_of_day_end() -%}
    {{ dbt.dateadd('day', 1, as_of_date()) }}
{%- endmacro %}
