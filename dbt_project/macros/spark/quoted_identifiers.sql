{#-
    The models quote source columns the ANSI way ("Id", "SystemModstamp"), as DuckDB and most
    warehouses do. Spark quotes identifiers with backticks and reads "Id" as a string literal
    unless ANSI mode is on, and dbt-spark forces spark.sql.ansi.enabled=false. So on Spark
    every SQL statement dbt builds from a node (views, tables, data and unit tests) has its
    double-quoted identifiers rewritten to backtick-quoted ones first. String literals and
    comments are left alone. Other targets never call these macros.
-#}
{% macro spark_quoted_identifiers(sql) -%}
    {%- set pattern = modules.re.compile(
        "(--[^\\n]*|/\\*.*?\\*/|'(?:[^'\\\\]|\\\\.)*')|\"((?:[^\"]|\"\")*)\"",
        modules.re.DOTALL,
    ) -%}
    {{- return(pattern.sub(_spark_backtick_identifier, sql)) -}}
{%- endmacro %}

{#- One match of spark_quoted_identifiers: a literal or comment as it is, or "x" as `x`. -#}
{% macro _spark_backtick_identifier(match) -%}
    {%- if match.group(2) is none -%}
        {{- return(match.group(0)) -}}
    {%- else -%}
        {{- return('`' ~ match.group(2).replace('""', '"').replace('`', '``') ~ '`') -}}
    {%- endif -%}
{%- endmacro %}

{% macro spark__create_view_as(relation, sql) -%}
    {{- dbt.spark__create_view_as(relation, spark_quoted_identifiers(sql)) -}}
{%- endmacro %}

{% macro spark__create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {%- if language == 'sql' -%}
        {%- set compiled_code = spark_quoted_identifiers(compiled_code) -%}
    {%- endif -%}
    {{- dbt.spark__create_table_as(temporary, relation, compiled_code, language) -}}
{%- endmacro %}

{% macro spark__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{- dbt.default__get_test_sql(
        spark_quoted_identifiers(main_sql), fail_calc, warn_if, error_if, limit
    ) -}}
{%- endmacro %}

{% macro spark__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {{- dbt.default__get_unit_test_sql(
        spark_quoted_identifiers(main_sql), expected_fixture_sql, expected_column_names
    ) -}}
{%- endmacro %}
