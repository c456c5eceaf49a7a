with

source as (
    select * from {{ source('salesforce', 'opportunity') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as opportunity_id,
        {{ adapter.quote('AccountId') }} as account_id,
        {{ adapter.quote('OwnerId') }} as owner_id,

        ---------- text
        {{ adapter.quote('Name') }} as opportunity_name,
        {{ adapter.quote('StageName') }} as stage_name,
        {{ adapter.quote('Type') }} as opportunity_type,
        {{ adapter.quote('LeadSource') }} as lead_source,
        {{ forecast_category_label(adapter.quote('ForecastCategoryName')) }}
            as forecast_category_name,

        ---------- numerics
        {{ adapter.quote('Amount') }} as amount,
        {{ adapter.quote('Probability') }} as probability,

        ---------- booleans
        {{ adapter.quote('IsClosed') }} as is_closed,
        {{ adapter.quote('IsWon') }} as is_won,

        ---------- dates
        {{ adapter.quote('CloseDate') }} as close_date,

        ---------- timestamps
        {{ adapter.quote('CreatedDate') }} as created_at,
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
    where not coalesce({{ adapter.quote('IsDeleted') }}, false)
)

select * from renamed
