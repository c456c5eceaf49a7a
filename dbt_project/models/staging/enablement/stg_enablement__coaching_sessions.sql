with

source as (
    select * from {{ source('enablement', 'coaching_sessions') }}
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
    from source
),

current_versions as (
    {{ current_version('renamed', key='session_id') }}
)

select
    session_id,
    coach_employee_id,
    rep_employee_id,
    session_type,
    status,
    duration_minutes,
    started_at,
    _source_file,
    _source_line
from current_versions
