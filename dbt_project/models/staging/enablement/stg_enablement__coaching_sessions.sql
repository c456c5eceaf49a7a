with

source as (
    select * from {{ source('enablement', 'coaching_sessions') }}
),

current_versions as (
    {{ current_version('source', key='session_id') }}
),

renamed as (
    select
        ---------- ids
        session_id,
        coach_employee_id,
        rep_employee_id,

        ---------- text
        session_type,
        status,

        ---------- numerics
        duration_minutes,

        ---------- timestamps
        started_at,

        ---------- lineage
        _source_file,
        _source_line
    from current_versions
)

select * from renamed
