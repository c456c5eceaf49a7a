with

outcomes as (
    select * from {{ ref('int_opportunity_outcomes_monthly') }}
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
),

meetings as (
    select
        owner_id as rep_id,
        {{ month_start('created_at') }} as month_start,
        count(*) as meetings_booked
    from events
    group by 1, 2
),

rep_months as (
    select
        rep_id,
        month_start
    from outcomes
    union
    select
        rep_id,
        month_start
    from meetings
),

counted as (
    select
        rep_months.rep_id,
        rep_months.month_start,
        coalesce(outcomes.opportunities_created, 0) as opportunities_created,
        coalesce(outcomes.pipeline_created_amount, 0) as pipeline_created_amount,
        coalesce(meetings.meetings_booked, 0) as meetings_booked,
        coalesce(outcomes.won_count, 0) as won_count,
        coalesce(outcomes.won_amount, 0) as won_amount,
        coalesce(outcomes.lost_count, 0) as lost_count,
        outcomes.win_rate
    from rep_months
    left join outcomes
        on
            rep_months.rep_id = outcomes.rep_id
            and rep_months.month_start = outcomes.month_start
    left join meetings
        on
            rep_months.rep_id = meetings.rep_id
            and rep_months.month_start = meetings.month_start
)

select
    rep_id,
    month_start,
    opportunities_created,
    cast(pipeline_created_amount as decimal(18, 2)) as pipeline_created_amount,
    meetings_booked,
    won_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    lost_count,
    win_rate,
    {{ average_deal_size('won_amount', 'won_count') }} as average_deal_size
from counted
