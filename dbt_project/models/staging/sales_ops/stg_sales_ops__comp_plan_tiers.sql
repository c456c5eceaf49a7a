with

source as (
    select * from {{ source('sales_ops', 'comp_plan_tiers') }}
),

renamed as (
    select
        ---------- ids
        plan_id,

        ---------- numerics
        floor_attainment,
        ceiling_attainment,
        rate_multiplier,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ current_version('renamed', key='plan_id, floor_attainment') }}
)

select
    plan_id,
    floor_attainment,
    ceiling_attainment,
    rate_multiplier,
    _source_file,
    _source_line
from current_versions
