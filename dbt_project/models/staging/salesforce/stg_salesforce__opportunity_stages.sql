with

source as (

    select * from {{ source('salesforce', 'opportunity_stage') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        "Id" as opportunity_stage_id,

        ---------- text
        "ApiName" as api_name,
        "MasterLabel" as stage_label,
        {{ forecast_category_label('"ForecastCategoryName"') }} as forecast_category_name,

        ---------- numerics
        "SortOrder" as sort_order,
        "DefaultProbability" as default_probability,

        ---------- booleans
        "IsActive" as is_active,
        "IsClosed" as is_closed,
        "IsWon" as is_won,

        ---------- timestamps
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated

)

select * from renamed
