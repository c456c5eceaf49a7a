{#-
    Contract constraints on Spark. The marts' `not_null` constraints become
    `alter table ... change column ... set not null` after the table is built; dbt-spark issues
    them whenever file_format is unset, but only Delta tables accept them and the marts are
    plain Parquet tables here. So they are applied only when a model is configured as Delta;
    on Parquet the `not_null` data tests on the same columns (which run on every engine)
    enforce them. On DuckDB the constraints stay in the create table statement.
-#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') == 'delta' -%}
        {%- do dbt.spark__persist_constraints(relation, model) -%}
    {%- endif -%}
{%- endmacro %}
