with

source as (
    select * from {{ source('sales_ops', 'comp_plans') }}
),

current_versions as (
    {{ current_version('source', key='plan_id') }}
),

renamed as (
    select
        ---------- ids
        plan_id,

        ---------- text
        plan_name,
        coalesce(tier_method, 'marginal') as tier_method,

        ---------- numerics
        cap_multiple,
        clawback_days,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
