with

source as (
    select * from {{ source('sales_ops', 'plan_scenario_tiers') }}
),

current_versions as (
    {{ current_version('source', key='scenario_id, plan_id, floor_attainment') }}
),

renamed as (
    select
        ---------- ids
        scenario_id,
        plan_id,

        ---------- numerics
        floor_attainment,
        ceiling_attainment,
        rate_multiplier,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
