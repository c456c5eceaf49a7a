with

source as (
    select * from {{ source('salesforce', 'account') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as account_id,
        {{ adapter.quote('OwnerId') }} as owner_id,

        ---------- text
        {{ adapter.quote('Name') }} as account_name,
        {{ adapter.quote('Industry') }} as industry,
        {{ adapter.quote('Type') }} as account_type,
        {{ adapter.quote('BillingCountry') }} as billing_country,

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
