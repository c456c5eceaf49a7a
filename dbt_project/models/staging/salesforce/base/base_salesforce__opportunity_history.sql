-- Current version of every opportunity history row, deleted ones included
-- (see macros/incremental.sql).
{{
    config(
        unique_key='opportunity_history_id',
        post_hook="{{ delete_vanished_versions(
            source('salesforce', 'opportunity_history'), 'Id', 'opportunity_history_id'
        ) }}",
    )
}}

with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        ---------- ids
        "Id" as opportunity_history_id,
        "OpportunityId" as opportunity_id,

        ---------- text
        "StageName" as stage_name,
        "ForecastCategory" as forecast_category,

        ---------- numerics
        "Amount" as amount,
        "Probability" as probability,

        ---------- booleans
        coalesce("IsDeleted", false) as is_deleted,

        ---------- dates
        "CloseDate" as close_date,

        ---------- timestamps
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
        key='opportunity_history_id',
        order_by='system_modstamp_at desc nulls last, _source_file desc, _source_line desc',
    ) }}

)

select
    opportunity_history_id,
    opportunity_id,
    stage_name,
    forecast_category,
    amount,
    probability,
    is_deleted,
    close_date,
    created_at,
    system_modstamp_at,
    _source_file,
    _source_line,
    _file_hash,
    _loaded_at
from current_versions
