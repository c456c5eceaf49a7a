-- One row per survey × respondent department, plus one per survey for department 'All':
-- headcount on the closing date, respondents and the unsuppressed scores.
with

answers as (
    select * from {{ ref('int_survey_answers') }}
),

surveys as (
    select * from {{ ref('int_surveys') }}
),

spells as (
    select * from {{ ref('int_employment_spells') }}
),

group_answers as (
    select
        survey_id,
        department,
        employee_id,
        factor,
        score
    from answers
    union all
    select
        survey_id,
        'All' as department,
        employee_id,
        factor,
        score
    from answers
),

answer_counts as (
    select
        survey_id,
        department,
        count(distinct employee_id) as respondents,
        count(case when factor = 'eNPS' then score end) as enps_answers,
        count(case when factor = 'eNPS' and score >= 9 then score end) as promoters,
        count(case when factor = 'eNPS' and score between 7 and 8 then score end) as passives,
        count(case when factor = 'eNPS' and score <= 6 then score end) as detractors,
        avg(
            case when factor = 'Satisfaction' then cast(score as double) end
        ) as satisfaction_avg,
        count(case when factor = 'Engagement' then score end) as engagement_answers,
        count(
            case when factor = 'Engagement' and score >= 4 then score end
        ) as engagement_favorable_answers
    from group_answers
    group by survey_id, department
),

group_workers as (
    select
        employee_id,
        department,
        hire_date,
        employed_through
    from spells
    union all
    select
        employee_id,
        'All' as department,
        hire_date,
        employed_through
    from spells
),

-- Every HRIS department (and All) on each survey's closing date; 'Unknown' has no workers.
headcounts as (
    select
        surveys.survey_id,
        group_workers.department,
        count(
            case
                when
                    surveys.survey_closed_date
                    between group_workers.hire_date and group_workers.employed_through
                    then group_workers.employee_id
            end
        ) as headcount
    from surveys
    cross join group_workers
    group by surveys.survey_id, group_workers.department
)

select
    answer_counts.survey_id,
    surveys.survey_name,
    answer_counts.department,
    surveys.survey_closed_date,
    headcounts.headcount,
    answer_counts.respondents,
    {{ safe_divide('answer_counts.respondents', 'headcounts.headcount') }} as response_rate,
    answer_counts.enps_answers,
    answer_counts.promoters,
    answer_counts.passives,
    answer_counts.detractors,
    {{ safe_divide(
        '100 * (answer_counts.promoters - answer_counts.detractors)',
        'answer_counts.enps_answers',
    ) }} as enps,
    {{ safe_divide('100 * answer_counts.promoters', 'answer_counts.enps_answers') }}
        as promoters_pct,
    {{ safe_divide('100 * answer_counts.passives', 'answer_counts.enps_answers') }}
        as passives_pct,
    {{ safe_divide('100 * answer_counts.detractors', 'answer_counts.enps_answers') }}
        as detractors_pct,
    answer_counts.satisfaction_avg,
    answer_counts.engagement_answers,
    answer_counts.engagement_favorable_answers,
    {{ safe_divide(
        '100 * answer_counts.engagement_favorable_answers',
        'answer_counts.engagement_answers',
    ) }} as engagement_favorable_pct
from answer_counts
inner join surveys
    on answer_counts.survey_id = surveys.survey_id
left join headcounts
    on
        answer_counts.survey_id = headcounts.survey_id
        and answer_counts.department = headcounts.department
