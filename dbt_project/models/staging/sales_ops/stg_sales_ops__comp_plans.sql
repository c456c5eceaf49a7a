with

source as (

    select * from {{ source('sales_ops', 'comp_plans') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='plan_id',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
