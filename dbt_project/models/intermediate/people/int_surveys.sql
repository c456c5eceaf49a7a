-- One row per survey wave: its name and closing date, the date of its last submission.
with

responses as (
    select * from {{ ref('stg_survey__responses') }}
)

select
    survey_id,
    max(survey_name) as survey_name,
    cast(max(submitted_at) as date) as survey_closed_date
from responses
group by survey_id
