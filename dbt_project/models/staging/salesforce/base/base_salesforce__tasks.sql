-- Current version of every task, deleted ones included (see macros/incremental.sql).
{{
    config(
        unique_key='task_id',
        post_hook="{{ delete_vanished_versions(source('salesforce', 'task')) }}",
    )
}}

with

-- The source itself, not an import CTE (macros/current_version.sql says why).
current_versions as (
    {{ salesforce_current_version(source('salesforce', 'task'), model_key='task_id') }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as task_id,
        {{ adapter.quote('OwnerId') }} as owner_id,
        {{ adapter.quote('WhoId') }} as who_id,
        {{ adapter.quote('WhatId') }} as what_id,
        {{ adapter.quote('AccountId') }} as account_id,

        ---------- text
        {{ adapter.quote('Subject') }} as subject,
        {{ adapter.quote('TaskSubtype') }} as task_subtype,
        {{ adapter.quote('Type') }} as task_type,
        {{ adapter.quote('Status') }} as task_status,

        ---------- booleans
        {{ adapter.quote('IsClosed') }} as is_closed,
        coalesce({{ adapter.quote('IsDeleted') }}, false) as is_deleted,

        ---------- dates
        {{ adapter.quote('ActivityDate') }} as activity_date,

        ---------- timestamps
        {{ adapter.quote('CompletedDateTime') }} as completed_at,
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
