{#-
    Incremental current-version tables of the large Salesforce objects.

    Raw keeps every version of every record (one row per line of every landing file). A
    `base_` model keeps the current version of each record, deleted ones included, so a later
    run can tell a record that changed from one that did not. Its incremental run recomputes
    only the records that
    - have a version loaded after the newest `_loaded_at` the model holds (new or changed
      landing files), or
    - whose current version left raw (its landing file was replaced or removed),
    from all of their versions still in raw, which is what a full refresh computes for them.
    Records with no version left in raw are deleted by `delete_vanished_versions`. A full
    refresh (`dbt build --full-refresh`) rebuilds the table from every version.

    DuckDB runs these as incremental models (delete+insert on the record key; folder config in
    dbt_project.yml). Other adapters build them as tables: incremental updates there need a
    table format with merge (Delta, Iceberg), see docs/scale_out.md.
-#}

{#-
    current_version (macros/current_version.sql) in an incremental run: the current version per
    `key` (one source column) of the records that may have changed, among `relation`'s rows (the
    raw source table); `model_key` is the model's column `key` becomes.
-#}
{% macro incremental_current_version(relation, key, order_by, model_key) -%}
    select *
    from (
        select
            candidates.*,
            row_number() over (
                partition by candidates.{{ key }}
                order by {{ order_by }}
            ) as _version_rank
        from {{ relation }} as candidates
        where candidates.{{ key }} in (
            select loaded.{{ key }}
            from {{ relation }} as loaded
            where loaded._loaded_at > (
                select coalesce(max(built._loaded_at), cast('1900-01-01' as timestamp))
                from {{ this }} as built
            )
            union
            select built.{{ model_key }}
            from {{ this }} as built
            where {{ version_file_gone('built', relation) }}
        )
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{#-
    True for a row of the model whose version's landing file left raw. The loader adds and
    forgets raw rows a whole file at a time (a file's rows share `_source_file` and
    `_file_hash`), so a version is still in raw exactly when its file, with that content, is:
    comparing the few distinct files is the same test as looking up every row's file, line and
    hash, at a fraction of the cost (a hash join of two tables of millions of rows).
-#}
{% macro version_file_gone(row, relation) -%}
    ({{ row }}._source_file, {{ row }}._file_hash) not in (
        select distinct still_loaded._source_file, still_loaded._file_hash
        from {{ relation }} as still_loaded
    )
{%- endmacro %}

{#-
    Post-hook: drop records none of whose versions is left in raw (their files were removed).
    After the incremental run recomputed every record whose current version's file left raw,
    a row still pointing to such a file is one with no version left to recompute it from.
-#}
{% macro delete_vanished_versions(source_relation) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as built
    where {{ version_file_gone('built', source_relation) }}
    {%- endif -%}
{%- endmacro %}
