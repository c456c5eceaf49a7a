-- Current version of every opportunity history row, deleted ones included
-- (see macros/incremental.sql).
{{
    config(
        unique_key='opportunity_history_id',
        post_hook="{{ delete_vanished_versions(source('salesforce', 'opportunity_history')) }}",
    )
}}

with

-- The source itself, not an import CTE (macros/current_version.sql says why).
current_versions as (
    {{ salesforce_current_version(
        source('salesforce', 'opportunity_history'),
        model_key='opportunity_history_id',
    ) }}
),

renamed as (
    select
        ---------- ids
        {{ adapter.quote('Id') }} as opportunity_history_id,
        {{ adapter.quote('OpportunityId') }} as opportunity_id,

        ---------- text
        {{ adapter.quote('StageName') }} as stage_name,
        {{ adapter.quote('ForecastCategory') }} as forecast_category,

        ---------- numerics
        {{ adapter.quote('Amount') }} as amount,
        {{ adapter.quote('Probability') }} as probability,

        ---------- booleans
        coalesce({{ adapter.quote('IsDeleted') }}, false) as is_deleted,

        ---------- dates
        {{ adapter.quote('CloseDate') }} as close_date,

        ---------- timestamps
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
