with

source as (

    select * from {{ source('enablement', 'coaching_sessions') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='session_id',
            order_by='_source_file desc, _source_line desc'
        )
    }}

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

    from deduplicated

)

select * from renamed
