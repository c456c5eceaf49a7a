with

source as (

    select * from {{ source('salesforce', 'opportunity_split') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

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
