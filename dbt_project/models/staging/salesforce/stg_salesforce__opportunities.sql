with

source as (

    select * from {{ source('salesforce', 'opportunity') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as opportunity_id,
        "AccountId" as account_id,
        "OwnerId" as owner_id,

        ---------- text
        "Name" as opportunity_name,
        "StageName" as stage_name,
        "Type" as opportunity_type,
        "LeadSource" as lead_source,
        {{ forecast_category_label('"ForecastCategoryName"') }} as forecast_category_name,

        ---------- numerics
        "Amount" as amount,
        "Probability" as probability,

        ---------- booleans
        "IsClosed" as is_closed,
        "IsWon" as is_won,

        ---------- dates
        "CloseDate" as close_date,

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
