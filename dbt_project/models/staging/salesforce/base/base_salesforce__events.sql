-- Current version of every event, deleted ones included (see macros/incremental.sql).
{{
    config(
        unique_key='event_id',
        post_hook="{{ delete_vanished_versions(source('salesforce', 'event'), 'Id', 'event_id') }}",
    )
}}

with

source as (

    select * from {{ source('salesforce', 'event') }}

),

renamed as (

    select
        ---------- ids
        "Id" as event_id,
        "OwnerId" as owner_id,
        "WhoId" as who_id,
        "WhatId" as what_id,
        "AccountId" as account_id,

        ---------- text
        "Subject" as subject,
        "Type" as event_type,

        ---------- numerics
        "DurationInMinutes" as duration_in_minutes,

        ---------- booleans
        coalesce("IsDeleted", false) as is_deleted,

        ---------- timestamps
        "StartDateTime" as start_at,
        "EndDateTime" as end_at,
        "CreatedDate" as created_at,
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line,
        _file_hash,
        _loaded_at

    from source

),

current_versions as (

    {{ incremental_latest_version(
        'renamed',
        key='event_id',
        order_by='system_modstamp_at desc nulls last, _source_file desc, _source_line desc',
    ) }}

)

select
    event_id,
    owner_id,
    who_id,
    what_id,
    account_id,
    subject,
    event_type,
    duration_in_minutes,
    is_deleted,
    start_at,
    end_at,
    created_at,
    system_modstamp_at,
    _source_file,
    _source_line,
    _file_hash,
    _loaded_at
from current_versions
