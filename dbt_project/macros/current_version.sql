{#-
    The one way a staging model reaches the current version of each record: it keeps one row
    per record key of the source first (`current_versions as ({{ current_version('source',
    key=...) }})`), then renames and casts the kept rows (CTE `renamed`, `where not ...` for
    objects with deletes) and selects `* from renamed`, so its columns are listed once. `key` is
    one or more source columns (comma-separated); the first row by `order_by` within a key wins.
    Portable (window function, no QUALIFY). In an incremental model (the `base_` models,
    macros/incremental.sql) only the records that may have changed are recomputed; there `key`
    is a single source column, `model_key` the model's column it becomes, and `relation` the
    `source()` itself rather than an import CTE (the incremental query reads it three times, and
    DuckDB would materialize a CTE read more than once).
-#}
{% macro current_version(
    relation, key, order_by='_source_file desc, _source_line desc', model_key=none
) -%}
    {#- A unit test of a table model has no `this`, which is_incremental() reads. -#}
    {%- if this is not none and is_incremental() %}
    {{ incremental_current_version(relation, key, order_by, model_key or key) }}
    {%- else %}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by {{ key }}
                order by {{ order_by }}
            ) as _version_rank
        from {{ relation }} as versions
    ) as ranked
    where _version_rank = 1
    {%- endif %}
{%- endmacro %}

{#-
    Salesforce objects, keyed by `Id`: the version with the greatest SystemModstamp wins, then
    the later file and line. Other sources: the later file and line (current_version's default).
-#}
{% macro salesforce_current_version(relation, model_key=none) -%}
    {{ current_version(
        relation,
        adapter.quote('Id'),
        order_by=adapter.quote('SystemModstamp') ~ ' desc nulls last, _source_file desc, '
            ~ '_source_line desc',
        model_key=model_key,
    ) }}
{%- endmacro %}
