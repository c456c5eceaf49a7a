with

source as (
    select * from {{ source('sales_ops', 'comp_plans') }}
),

renamed as (
    select
        ---------- ids
        plan_id,

        ---------- text
        plan_name,

        ---------- numerics
        cap_multiple,
        clawback_days,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ current_version('renamed', key='plan_id') }}
)

select
    plan_id,
    plan_name,
    cap_multiple,
    clawback_days,
    _source_file,
    _source_line
from current_versions
