-- One row per answered question (non-empty score) of an identified respondent, with the
-- respondent's HRIS department, or 'Unknown' when the employee is not in HRIS. Skipped
-- answers are left out, so a person who skipped everything is not a respondent.
with

responses as (
    select * from {{ ref('stg_survey__responses') }}
),

workers as (
    select * from {{ ref('stg_hris__workers') }}
)

select
    responses.survey_id,
    responses.response_id,
    responses.question_id,
    responses.employee_id,
    coalesce(workers.department, 'Unknown') as department,
    responses.factor,
    responses.score
from responses
left join workers
    on responses.employee_id = workers.employee_id
where
    responses.score is not null
    and responses.employee_id is not null
