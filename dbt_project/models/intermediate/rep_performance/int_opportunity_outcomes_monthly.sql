-- One row per rep (opportunity owner) and UTC month with an opportunity created or closed in it:
-- what was created (by created_date) and what was won or lost (by close_date).
with

opportunities as (
    select * from {{ ref('int_opportunities') }}
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
        count(case when not is_won then opportunity_id end) as lost_count,
        avg(case when is_won then touchpoints end) as avg_touchpoints_per_won
    from opportunities
    where is_closed
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
),

counted as (
    select
        rep_months.rep_id,
        rep_months.month_start,
        coalesce(created.opportunities_created, 0) as opportunities_created,
        coalesce(created.pipeline_created_amount, 0) as pipeline_created_amount,
        coalesce(closed.won_count, 0) as won_count,
        coalesce(closed.won_amount, 0) as won_amount,
        coalesce(closed.lost_count, 0) as lost_count,
        closed.avg_touchpoints_per_won
    from rep_months
    left join created
        on
            rep_months.rep_id = created.rep_id
            and rep_months.month_start = created.month_start
    left join closed
        on
            rep_months.rep_id = closed.rep_id
            and rep_months.month_start = closed.month_start
)

select
    rep_id,
    month_start,
    opportunities_created,
    cast(pipeline_created_amount as decimal(18, 2)) as pipeline_created_amount,
    won_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    lost_count,
    {{ win_rate('won_count', 'lost_count') }} as win_rate,
    cast(avg_touchpoints_per_won as double) as avg_touchpoints_per_won
from counted
