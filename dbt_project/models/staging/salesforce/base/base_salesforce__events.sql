-- Current version of every event, deleted ones included (see macros/incremental.sql).
{{
    config(
        unique_key='event_id',
        post_hook="{{ delete_vanished_versions(source('salesforce', 'event')) }}",
    )
}}

with

-- The source itself, not an import CTE (macros/current_version.sql says why).
current_versions as (
    {{ salesforce_current_version(source('salesforce', 'event'), model_key='event_id') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as event_id,
        {{ adapter.quote('OwnerId') }} as owner_id,
        {{ adapter.quote('WhoId') }} as who_id,
        {{ adapter.quote('WhatId') }} as what_id,
        {{ adapter.quote('AccountId') }} as account_id,

        ---------- text
        {{ adapter.quote('Subject') }} as subject,
        {{ adapter.quote('Type') }} as event_type,

        ---------- numerics
        {{ adapter.quote('DurationInMinutes') }} as duration_in_minutes,

        ---------- booleans
        coalesce({{ adapter.quote('IsDeleted') }}, false) as is_deleted,

        ---------- timestamps
        {{ adapter.quote('StartDateTime') }} as start_at,
        {{ adapter.quote('EndDateTime') }} as end_at,
        {{ adapter.quote('CreatedDate') }} as created_at,
        {{ adapter.quote('SystemModstamp') }} as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line,
        _file_hash,
        _loaded_at
    from current_versions
)

select * from renamed
