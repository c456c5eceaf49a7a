with

source as (
    select * from {{ source('salesforce', 'opportunity_split') }}
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

        ---------- booleans
        coalesce({{ adapter.quote('IsDeleted') }}, false) as is_deleted,

        ---------- timestamps
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ salesforce_current_version('renamed', key='opportunity_split_id') }}
)

select
    opportunity_split_id,
    opportunity_id,
    split_owner_id,
    split_type_id,
    split_percentage,
    system_modstamp_at,
    _source_file,
    _source_line
from current_versions
where not is_deleted
