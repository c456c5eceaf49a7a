with

source as (

    select * from {{ source('salesforce', 'lead') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as lead_id,
        "OwnerId" as owner_id,
        "ConvertedOpportunityId" as converted_opportunity_id,
        "ConvertedAccountId" as converted_account_id,

        ---------- text
        "Status" as lead_status,
        "LeadSource" as lead_source,

        ---------- booleans
        "IsConverted" as is_converted,

        ---------- dates
        "ConvertedDate" as converted_date,

        ---------- timestamps
        "CreatedDate" as created_at,
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated
    where not coalesce("IsDeleted", false)

)

select * from renamed
