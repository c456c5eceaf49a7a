with

source as (
    select * from {{ source('salesforce', 'lead') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as lead_id,
        {{ adapter.quote('OwnerId') }} as owner_id,
        {{ adapter.quote('ConvertedOpportunityId') }} as converted_opportunity_id,
        {{ adapter.quote('ConvertedAccountId') }} as converted_account_id,

        ---------- text
        {{ adapter.quote('Status') }} as lead_status,
        {{ adapter.quote('LeadSource') }} as lead_source,

        ---------- booleans
        {{ adapter.quote('IsConverted') }} as is_converted,

        ---------- dates
        {{ adapter.quote('ConvertedDate') }} as converted_date,

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
