with

source as (
    select * from {{ source('enablement', 'training_assignments') }}
),

renamed as (
    select
        ---------- ids
        assignment_id,
        employee_id,
        course_id,

        ---------- text
        course_name,
        course_category,
        status,

        ---------- numerics
        score,
        duration_minutes,

        ---------- dates
        assigned_date,
        due_date,

        ---------- timestamps
        completed_at,

        ---------- lineage
        _source_file,
        _source_line
    from source
),

current_versions as (
    {{ current_version('renamed', key='assignment_id') }}
)

select
    assignment_id,
    employee_id,
    course_id,
    course_name,
    course_category,
    status,
    score,
    duration_minutes,
    assigned_date,
    due_date,
    completed_at,
    _source_file,
    _source_line
from current_versions
