with

source as (
    select * from {{ source('survey', 'responses') }}
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
    from source
),

current_versions as (
    {{ current_version('renamed', key='response_id, question_id') }}
)

select
    survey_id,
    response_id,
    question_id,
    employee_id,
    survey_name,
    question_text,
    factor,
    score,
    submitted_at,
    _source_file,
    _source_line
from current_versions
