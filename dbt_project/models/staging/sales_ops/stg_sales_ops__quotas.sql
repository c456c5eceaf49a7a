with

source as (
    select * from {{ source('sales_ops', 'quotas') }}
),

current_versions as (
    {{ current_version('source', key='employee_id, month_start') }}
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
    from current_versions
)

select * from renamed
