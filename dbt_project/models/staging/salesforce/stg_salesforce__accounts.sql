with

source as (

    select * from {{ source('salesforce', 'account') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as account_id,
        "OwnerId" as owner_id,

        ---------- text
        "Name" as account_name,
        "Industry" as industry,
        "Type" as account_type,
        "BillingCountry" as billing_country,

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
