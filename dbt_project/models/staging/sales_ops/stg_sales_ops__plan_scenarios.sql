with

source as (
    select * from {{ source('sales_ops', 'plan_scenarios') }}
),

current_versions as (
    {{ current_version('source', key='scenario_id, plan_id') }}
),

renamed as (
    select
        ---------- ids
        scenario_id,
        plan_id,

        ---------- text
        scenario_name,
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
