with

source as (
    select * from {{ source('survey', 'responses') }}
),

current_versions as (
    {{ current_version('source', key='response_id, question_id') }}
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
    from current_versions
)

select * from renamed
