with

source as (
    select * from {{ source('salesforce', 'opportunity_stage') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as opportunity_stage_id,

        ---------- text
        {{ adapter.quote('ApiName') }} as api_name,
        {{ adapter.quote('MasterLabel') }} as stage_label,
        {{ forecast_category_label(adapter.quote('ForecastCategoryName')) }}
            as forecast_category_name,

        ---------- numerics
        {{ adapter.quote('SortOrder') }} as sort_order,
        {{ adapter.quote('DefaultProbability') }} as default_probability,

        ---------- booleans
        {{ adapter.quote('IsActive') }} as is_active,
        {{ adapter.quote('IsClosed') }} as is_closed,
        {{ adapter.quote('IsWon') }} as is_won,

        ---------- timestamps
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
