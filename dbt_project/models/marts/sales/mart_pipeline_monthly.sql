with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
),

created as (
    select
        owner_id as rep_id,
        {{ month_start('created_date') }} as month_start,
        count(*) as opportunities_created,
        sum(amount) as pipeline_created_amount
    from opportunities
    group by 1, 2
),

closed as (
    select
        owner_id as rep_id,
        {{ month_start('close_date') }} as month_start,
        count(case when is_won then opportunity_id end) as won_count,
        sum(case when is_won then amount end) as won_amount,
        count(case when not is_won then opportunity_id end) as lost_count
    from opportunities
    where is_closed
    group by 1, 2
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
    from created
    union
    select
        rep_id,
        month_start
    from closed
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
        coalesce(created.opportunities_created, 0) as opportunities_created,
        coalesce(created.pipeline_created_amount, 0) as pipeline_created_amount,
        coalesce(meetings.meetings_booked, 0) as meetings_booked,
        coalesce(closed.won_count, 0) as won_count,
        coalesce(closed.won_amount, 0) as won_amount,
        coalesce(closed.lost_count, 0) as lost_count
    from rep_months
    left join created
        on
            rep_months.rep_id = created.rep_id
            and rep_months.month_start = created.month_start
    left join closed
        on
            rep_months.rep_id = closed.rep_id
            and rep_months.month_start = closed.month_start
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
    {{ safe_divide('won_count', 'won_count + lost_count') }} as win_rate,
    {{ money_divide('won_amount', 'won_count') }} as average_deal_size
from counted
