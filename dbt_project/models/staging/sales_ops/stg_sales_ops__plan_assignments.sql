with

source as (

    select * from {{ source('sales_ops', 'plan_assignments') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='employee_id, plan_id, effective_start',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
