with

source as (

    select * from {{ source('salesforce', 'opportunity_split') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='"Id"',
            order_by='"SystemModstamp" desc nulls last, _source_file desc, _source_line desc'
        )
    }}

),

renamed as (

    select
        ---------- ids
        "Id" as opportunity_split_id,
        "OpportunityId" as opportunity_id,
        "SplitOwnerId" as split_owner_id,
        "SplitTypeId" as split_type_id,

        ---------- numerics
        "SplitPercentage" as split_percentage,

        ---------- timestamps
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated
    where not coalesce("IsDeleted", false)

)

select * from renamed
