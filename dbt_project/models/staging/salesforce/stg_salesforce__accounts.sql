with

source as (
    select * from {{ source('salesforce', 'account') }}
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

        ---------- booleans
        coalesce({{ adapter.quote('IsDeleted') }}, false) as is_deleted,

        ---------- timestamps
        {{ adapter.quote('CreatedDate') }} as created_at,
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ salesforce_current_version('renamed', key='account_id') }}
)

select
    account_id,
    owner_id,
    account_name,
    industry,
    account_type,
    billing_country,
    created_at,
    system_modstamp_at,
    _source_file,
    _source_line
from current_versions
where not is_deleted
