with

source as (
    select * from {{ source('sales_ops', 'quotas') }}
),

renamed as (
    select
        ---------- ids
        employee_id,

        ---------- numerics
        quota_amount,

        ---------- dates
        month_start,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ current_version('renamed', key='employee_id, month_start') }}
)

select
    employee_id,
    quota_amount,
    month_start,
    _source_file,
    _source_line
from current_versions
