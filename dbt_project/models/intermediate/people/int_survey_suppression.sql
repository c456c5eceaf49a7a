{%- set min_group_size = var('survey_min_group_size') | int -%}
-- One row per survey × department (incl. 'All'): whether its scores are suppressed.
-- A department is suppressed below the minimum group size. While the suppressed departments
-- of a survey hold at least one and fewer than the minimum respondents, the shown department
-- with the fewest respondents (then the first by name) is suppressed too: in closed form, the
-- k-th shown department in that order is suppressed when the suppressed total plus the
-- respondents of the k-1 shown before it is still below the minimum. 'All' is suppressed
-- below the minimum only.
with

group_scores as (
    select * from {{ ref('int_survey_group_scores') }}
),

departments as (
    select
        survey_id,
        department,
        respondents,
        respondents < {{ min_group_size }} as is_below_min_group_size
    from group_scores
    where department != 'All'
),

suppressed_totals as (
    select
        survey_id,
        sum(case when is_below_min_group_size then respondents else 0 end)
            as suppressed_respondents
    from departments
    group by survey_id
),

shown_in_order as (
    select
        departments.survey_id,
        departments.department,
        suppressed_totals.suppressed_respondents,
        coalesce(
            sum(departments.respondents) over (
                partition by departments.survey_id
                order by departments.respondents, departments.department
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as respondents_shown_before
    from departments
    inner join suppressed_totals
        on departments.survey_id = suppressed_totals.survey_id
    where not departments.is_below_min_group_size
),

complementary as (
    select
        survey_id,
        department,
        suppressed_respondents >= 1
        and suppressed_respondents + respondents_shown_before < {{ min_group_size }}
            as is_complementary
    from shown_in_order
),

reasons as (
    select
        group_scores.survey_id,
        group_scores.department,
        group_scores.respondents,
        case
            when group_scores.respondents < {{ min_group_size }} then 'below_min_group_size'
            when complementary.is_complementary then 'complementary'
        end as suppression_reason
    from group_scores
    left join complementary
        on
            group_scores.survey_id = complementary.survey_id
            and group_scores.department = complementary.department
)

select
    survey_id,
    department,
    respondents,
    suppression_reason is not null as is_suppressed,
    suppression_reason
from reasons
