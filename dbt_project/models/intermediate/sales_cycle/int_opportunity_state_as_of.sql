-- One row per live opportunity created on or before the as-of date, in its state at the end of
-- that day: its last history row before then, or its current row when it has no such row.
with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

history as (
    select * from {{ ref('stg_salesforce__opportunity_history') }}
),

stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

created_by_as_of as (
    select *
    from opportunities
    where created_at < {{ as_of_day_end() }}
),

ranked_history as (
    select
        opportunity_id,
        stage_name,
        amount,
        probability,
        close_date,
        forecast_category,
        row_number() over (
            partition by opportunity_id
            order by created_at desc, opportunity_history_id desc
        ) as recency_rank
    from history
    where created_at < {{ as_of_day_end() }}
),

history_state as (
    select
        ranked_history.opportunity_id,
        true as is_from_history,
        ranked_history.stage_name,
        ranked_history.amount,
        ranked_history.probability,
        ranked_history.close_date,
        ranked_history.forecast_category,
        stages.is_closed,
        stages.is_won
    from ranked_history
    left join stages
        on ranked_history.stage_name = stages.api_name
    where ranked_history.recency_rank = 1
),

-- Opportunities without a history row by then keep their current row.
current_state as (
    select
        opportunity_id,
        false as is_from_history,
        stage_name,
        amount,
        probability,
        close_date,
        forecast_category_name as forecast_category,
        is_closed,
        is_won
    from created_by_as_of
    where opportunity_id not in (select history_state.opportunity_id from history_state)
),

states as (
    select * from history_state
    union all
    select * from current_state
)

select
    created_by_as_of.opportunity_id,
    created_by_as_of.owner_id,
    created_by_as_of.created_at,
    states.is_from_history,
    states.stage_name,
    states.amount,
    states.probability,
    states.close_date,
    states.forecast_category,
    states.is_closed,
    states.is_won
from created_by_as_of
inner join states
    on created_by_as_of.opportunity_id = states.opportunity_id
