{#-
    Keep one version per record key: the first row by `order_by` within `partition_by`.
    Salesforce objects order by SystemModstamp desc, then the later file and line; the other
    sources by the later file and line. Portable (window function, no QUALIFY).
-#}
{% macro latest_version(relation, partition_by, order_by) -%}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ) as _version_rank
        from {{ relation }} as versions
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{#- Salesforce: the version with the greatest SystemModstamp wins, then the later file and line. -#}
{% macro salesforce_latest_version(relation) -%}
    {{ latest_version(
        relation,
        partition_by='"Id"',
        order_by='"SystemModstamp" desc nulls last, _source_file desc, _source_line desc',
    ) }}
{%- endmacro %}
