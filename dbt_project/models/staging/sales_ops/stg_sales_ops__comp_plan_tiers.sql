with

source as (

    select * from {{ source('sales_ops', 'comp_plan_tiers') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='plan_id, floor_attainment',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
