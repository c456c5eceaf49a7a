with

source as (

    select * from {{ source('enablement', 'training_assignments') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='assignment_id',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
