with

source as (
    select * from {{ source('sales_ops', 'plan_assignments') }}
),

renamed as (
    select
        ---------- ids
        employee_id,
        plan_id,

        ---------- numerics
        quarterly_target_incentive,

        ---------- dates
        effective_start,
        effective_end,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ current_version('renamed', key='employee_id, plan_id, effective_start') }}
)

select
    employee_id,
    plan_id,
    quarterly_target_incentive,
    effective_start,
    effective_end,
    _source_file,
    _source_line
from current_versions
