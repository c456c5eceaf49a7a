with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as opportunity_history_id,
        "OpportunityId" as opportunity_id,

        ---------- text
        "StageName" as stage_name,
        "ForecastCategory" as forecast_category,

        ---------- numerics
        "Amount" as amount,
        "Probability" as probability,

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
