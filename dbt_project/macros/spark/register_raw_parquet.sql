{#-
    On Spark (target type spark) the raw layer is Parquet: one folder per raw table under
    var('raw_parquet_dir') (SPM_RAW_PARQUET_DIR; relative to the repository root), written by
    the scale-out job's raw Parquet assets (or `python -m orchestration.cli.scale_out export-raw`). Registers each source table of the project
    as an external table over its folder, so sources read it like DuckDB's raw schema. The
    tables are re-created on every run, so a re-export with new columns is picked up. Runs
    on-run-start; does nothing on other targets.
-#}
{% macro register_raw_parquet() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set raw_dir = var(
            'raw_parquet_dir', env_var('SPM_RAW_PARQUET_DIR', 'data/raw_parquet')
        ) -%}
        {%- if not raw_dir.startswith('/') and '://' not in raw_dir -%}
            {#-
                Spark resolves a relative location against its warehouse folder, so a relative
                folder is made absolute here: the repository root is the project's parent.
            -#}
            {%- set project_dir = invocation_args_dict.get('project_dir') or '' -%}
            {%- if not project_dir.startswith('/') -%}
                {{ exceptions.raise_compiler_error(
                    'raw_parquet_dir ' ~ raw_dir ~ ' is relative and the dbt project folder is '
                    ~ 'not known as an absolute path: set SPM_RAW_PARQUET_DIR to an absolute one'
                ) }}
            {%- endif -%}
            {%- set raw_dir = project_dir.rstrip('/') ~ '/../' ~ raw_dir -%}
        {%- endif -%}
        {%- set tables = {} -%}
        {%- for source in graph.sources.values() -%}
            {%- do tables.update({source.schema ~ '.' ~ source.identifier: source}) -%}
        {%- endfor -%}
        {%- for schema in tables.values() | map(attribute='schema') | unique | sort -%}
            {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for name in tables | sort -%}
            {%- set source = tables[name] -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do run_query(
                'create table ' ~ name ~ ' using parquet location '
                ~ "'" ~ raw_dir.rstrip('/') ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
        {%- set message = 'Registered ' ~ tables | length ~ ' raw Parquet tables from ' ~ raw_dir -%}
        {{ log(message, info=true) }}
    {%- endif -%}
{%- endmacro %}
