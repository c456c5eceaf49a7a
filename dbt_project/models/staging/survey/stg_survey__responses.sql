with

source as (

    select * from {{ source('survey', 'responses') }}

),

deduplicated as (

    {{
        latest_version(
            'source',
            partition_by='response_id, question_id',
            order_by='_source_file desc, _source_line desc'
        )
    }}

),

renamed as (

    select
        ---------- ids
        survey_id,
        response_id,
        question_id,
        employee_id,

        ---------- text
        survey_name,
        question_text,
        factor,

        ---------- numerics
        score,

        ---------- timestamps
        submitted_at,

        ---------- lineage
        _source_file,
        _source_line

    from deduplicated

)

select * from renamed
