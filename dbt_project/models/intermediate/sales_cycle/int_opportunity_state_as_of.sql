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
)

select
    created_by_as_of.opportunity_id,
    created_by_as_of.owner_id,
    created_by_as_of.created_at,
    history_state.opportunity_id is not null as is_from_history,
    case
        when history_state.opportunity_id is not null then history_state.stage_name
        else created_by_as_of.stage_name
    end as stage_name,
    case
        when history_state.opportunity_id is not null then history_state.amount
        else created_by_as_of.amount
    end as amount,
    case
        when history_state.opportunity_id is not null then history_state.probability
        else created_by_as_of.probability
    end as probability,
    case
        when history_state.opportunity_id is not null then history_state.close_date
        else created_by_as_of.close_date
    end as close_date,
    case
        when history_state.opportunity_id is not null then history_state.forecast_category
        else created_by_as_of.forecast_category_name
    end as forecast_category,
    case
        when history_state.opportunity_id is not null then history_state.is_closed
        else created_by_as_of.is_closed
    end as is_closed,
    case
        when history_state.opportunity_id is not null then history_state.is_won
        else created_by_as_of.is_won
    end as is_won
from created_by_as_of
left join history_state
    on created_by_as_of.opportunity_id = history_state.opportunity_id
