with

source as (

    select * from {{ source('sales_ops', 'quotas') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='employee_id, month_start',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
