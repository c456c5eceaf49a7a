{#-
    The one way a staging model reaches the current version of each record. Every staging model
    that reads raw renames the source's columns first (CTE `renamed`), then keeps one row per
    record key: `current_versions as ({{ current_version('renamed', key=...) }})`, and its final
    select lists the published columns (dropping `_version_rank`, and `is_deleted` after
    `where not is_deleted` for objects with deletes). `key` is one or more renamed columns
    (comma-separated); the first row by `order_by` within a key wins. Portable (window
    function, no QUALIFY). In an incremental model (the `base_` models, macros/incremental.sql)
    only the records that may have changed are recomputed; there `key` is a single column.
-#}
{% macro current_version(relation, key, order_by='_source_file desc, _source_line desc') -%}
    {#- A unit test of a table model has no `this`, which is_incremental() reads. -#}
    {%- if this is not none and is_incremental() %}
    {{ incremental_current_version(relation, key, order_by) }}
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
    Salesforce objects: the version with the greatest SystemModstamp wins, then the later file
    and line. Other sources: the later file and line (current_version's default order).
-#}
{% macro salesforce_current_version(relation, key) -%}
    {{ current_version(
        relation,
        key,
        order_by='system_modstamp_at desc nulls last, _source_file desc, _source_line desc',
    ) }}
{%- endmacro %}
