-- Current version of every task, deleted ones included (see macros/incremental.sql).
{{
    config(
        unique_key='task_id',
        post_hook="{{ delete_vanished_versions(source('salesforce', 'task'), 'Id', 'task_id') }}",
    )
}}

with

source as (

    select * from {{ source('salesforce', 'task') }}

),

renamed as (

    select
        ---------- ids
        "Id" as task_id,
        "OwnerId" as owner_id,
        "WhoId" as who_id,
        "WhatId" as what_id,
        "AccountId" as account_id,

        ---------- text
        "Subject" as subject,
        "TaskSubtype" as task_subtype,
        "Type" as task_type,
        "Status" as task_status,

        ---------- booleans
        "IsClosed" as is_closed,
        coalesce("IsDeleted", false) as is_deleted,

        ---------- dates
        "ActivityDate" as activity_date,

        ---------- timestamps
        "CompletedDateTime" as completed_at,
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
        key='task_id',
        order_by='system_modstamp_at desc nulls last, _source_file desc, _source_line desc',
    ) }}

)

select
    task_id,
    owner_id,
    who_id,
    what_id,
    account_id,
    subject,
    task_subtype,
    task_type,
    task_status,
    is_closed,
    is_deleted,
    activity_date,
    completed_at,
    created_at,
    system_modstamp_at,
    _source_file,
    _source_line,
    _file_hash,
    _loaded_at
from current_versions
