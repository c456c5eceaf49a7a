-- One row per survey × respondent department, plus one per survey for department 'All';
-- scores are NULL where the group is suppressed.
with

group_scores as (
    select * from {{ ref('int_survey_group_scores') }}
),

suppression as (
    select * from {{ ref('int_survey_suppression') }}
)

select
    group_scores.survey_id,
    group_scores.survey_name,
    group_scores.department,
    group_scores.survey_closed_date,
    group_scores.headcount,
    group_scores.respondents,
    group_scores.response_rate,
    suppression.is_suppressed,
    case when not suppression.is_suppressed then group_scores.enps end as enps,
    case when not suppression.is_suppressed then group_scores.promoters_pct end as promoters_pct,
    case when not suppression.is_suppressed then group_scores.passives_pct end as passives_pct,
    case
        when not suppression.is_suppressed then group_scores.detractors_pct
    end as detractors_pct,
    case
        when not suppression.is_suppressed then group_scores.satisfaction_avg
    end as satisfaction_avg,
    case
        when not suppression.is_suppressed then group_scores.engagement_favorable_pct
    end as engagement_favorable_pct
from group_scores
inner join suppression
    on
        group_scores.survey_id = suppression.survey_id
        and group_scores.department = suppression.department
