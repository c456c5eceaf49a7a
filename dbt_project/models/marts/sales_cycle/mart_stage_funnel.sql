with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

stints as (
    select * from {{ ref('int_stage_stints') }}
),

stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

-- Stages that are not lost, in SortOrder with the won stage last; the next one's order
-- decides who advanced (none after the won stage).
funnel_stages as (
    select
        api_name as stage_name,
        sort_order as stage_order,
        lead(sort_order) over (
            order by case when is_won then 1 else 0 end, sort_order
        ) as next_stage_order
    from stages
    where not {{ is_lost_stage('is_closed', 'is_won') }}
),

cohorts as (
    select
        opportunity_id,
        {{ fiscal_quarter_start('created_date') }} as quarter_start
    from opportunities
),

stages_been_in as (
    select
        opportunity_id,
        stage_name
    from stints
    union
    select
        opportunity_id,
        stage_name
    from opportunities
),

furthest_stages as (
    select
        stages_been_in.opportunity_id,
        max(funnel_stages.stage_order) as furthest_stage_order
    from stages_been_in
    inner join funnel_stages
        on stages_been_in.stage_name = funnel_stages.stage_name
    group by stages_been_in.opportunity_id
),

cohort_progress as (
    select
        cohorts.opportunity_id,
        cohorts.quarter_start,
        furthest_stages.furthest_stage_order
    from cohorts
    left join furthest_stages
        on cohorts.opportunity_id = furthest_stages.opportunity_id
),

quarters as (
    select distinct quarter_start
    from cohorts
),

quarter_stages as (
    select
        quarters.quarter_start,
        funnel_stages.stage_name,
        funnel_stages.stage_order,
        funnel_stages.next_stage_order
    from quarters
    cross join funnel_stages
),

reached as (
    select
        quarter_stages.quarter_start,
        quarter_stages.stage_name,
        quarter_stages.stage_order,
        quarter_stages.next_stage_order,
        count(
            case
                when cohort_progress.furthest_stage_order >= quarter_stages.stage_order
                    then cohort_progress.opportunity_id
            end
        ) as opportunities_reached,
        count(
            case
                when cohort_progress.furthest_stage_order >= quarter_stages.next_stage_order
                    then cohort_progress.opportunity_id
            end
        ) as opportunities_reached_next
    from quarter_stages
    inner join cohort_progress
        on quarter_stages.quarter_start = cohort_progress.quarter_start
    group by
        quarter_stages.quarter_start,
        quarter_stages.stage_name,
        quarter_stages.stage_order,
        quarter_stages.next_stage_order
),

exited_stint_days as (
    select
        cohorts.quarter_start,
        stints.stage_name,
        -- Integer milliseconds add up exactly: the mean does not depend on summation order.
        cast(sum(stints.milliseconds_in_stage) as double)
        / {{ milliseconds_per('day') }}
        / count(stints.milliseconds_in_stage)
            as avg_days_in_stage
    from stints
    inner join cohorts
        on stints.opportunity_id = cohorts.opportunity_id
    where stints.exited_at is not null
    group by
        cohorts.quarter_start,
        stints.stage_name
),

funnel as (
    select
        reached.quarter_start,
        reached.stage_name,
        reached.stage_order,
        reached.opportunities_reached,
        case
            when reached.next_stage_order is not null then reached.opportunities_reached_next
        end as opportunities_advanced,
        cast(exited_stint_days.avg_days_in_stage as double) as avg_days_in_stage
    from reached
    left join exited_stint_days
        on
            reached.quarter_start = exited_stint_days.quarter_start
            and reached.stage_name = exited_stint_days.stage_name
)

select
    quarter_start,
    stage_name,
    stage_order,
    opportunities_reached,
    opportunities_advanced,
    {{ safe_divide('opportunities_advanced', 'opportunities_reached') }}
        as conversion_to_next_rate,
    avg_days_in_stage
from funnel
