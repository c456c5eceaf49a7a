with

source as (

    select * from {{ source('salesforce', 'task') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

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

        ---------- dates
        "ActivityDate" as activity_date,

        ---------- timestamps
        "CompletedDateTime" as completed_at,
        "CreatedDate" as created_at,
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated
    where not coalesce("IsDeleted", false)

)

select * from renamed
