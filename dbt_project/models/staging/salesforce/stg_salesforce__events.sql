with

source as (

    select * from {{ source('salesforce', 'event') }}

),

deduplicated as (

    {{ salesforce_latest_version('source') }}

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

        ---------- timestamps
        "StartDateTime" as start_at,
        "EndDateTime" as end_at,
        "CreatedDate" as created_at,
        "SystemModstamp" as system_modstamp_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated
    where not coalesce("IsDeleted", false)

)

select * from renamed
