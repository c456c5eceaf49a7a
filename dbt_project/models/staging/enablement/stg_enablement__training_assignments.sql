with

source as (
    select * from {{ source('enablement', 'training_assignments') }}
),

current_versions as (
    {{ current_version('source', key='assignment_id') }}
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
    from current_versions
)

select * from renamed
