with

source as (
    select * from {{ source('salesforce', 'opportunity_split') }}
),

current_versions as (
    {{ salesforce_current_version('source') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as opportunity_split_id,
        {{ adapter.quote('OpportunityId') }} as opportunity_id,
        {{ adapter.quote('SplitOwnerId') }} as split_owner_id,
        {{ adapter.quote('SplitTypeId') }} as split_type_id,

        ---------- numerics
        {{ adapter.quote('SplitPercentage') }} as split_percentage,

        ---------- timestamps
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
    where not coalesce({{ adapter.quote('IsDeleted') }}, false)
)

select * from renamed
