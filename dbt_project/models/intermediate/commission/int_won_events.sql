-- One row per live opportunity won on or before the as-of date: the first history row in a won
-- stage (its date and amount), or, for one won now without such a row, its close date and
-- amount; and the first history row in a lost stage after that won row (the loss).
with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

history as (
    select * from {{ ref('int_opportunity_history') }}
),

live_history as (
    select
        history.opportunity_history_id,
        history.opportunity_id,
        history.amount,
        history.created_at,
        coalesce(history.is_won_stage, false) as is_won_stage,
        coalesce({{ is_lost_stage('history.is_closed_stage', 'history.is_won_stage') }}, false)
            as is_lost_stage
    from history
    where history.created_at < {{ as_of_day_end() }}
),

ranked_won_rows as (
    select
        opportunity_history_id,
        opportunity_id,
        amount,
        created_at,
        row_number() over (
            partition by opportunity_id
            order by created_at, opportunity_history_id
        ) as won_rank
    from live_history
    where is_won_stage
),

first_won_rows as (
    select *
    from ranked_won_rows
    where won_rank = 1
),

ranked_losses as (
    select
        live_history.opportunity_id,
        live_history.created_at,
        row_number() over (
            partition by live_history.opportunity_id
            order by live_history.created_at, live_history.opportunity_history_id
        ) as loss_rank
    from live_history
    inner join first_won_rows
        on live_history.opportunity_id = first_won_rows.opportunity_id
    where
        live_history.is_lost_stage
        and (
            live_history.created_at > first_won_rows.created_at
            or (
                live_history.created_at = first_won_rows.created_at
                and live_history.opportunity_history_id > first_won_rows.opportunity_history_id
            )
        )
),

first_losses as (
    select
        opportunity_id,
        cast(created_at as date) as loss_date
    from ranked_losses
    where loss_rank = 1
),

won_in_history as (
    select
        first_won_rows.opportunity_id,
        cast(first_won_rows.created_at as date) as won_date,
        first_won_rows.amount as won_amount,
        true as is_won_in_history,
        first_losses.loss_date
    from first_won_rows
    left join first_losses
        on first_won_rows.opportunity_id = first_losses.opportunity_id
),

won_without_history as (
    select
        opportunities.opportunity_id,
        opportunities.close_date as won_date,
        opportunities.amount as won_amount,
        false as is_won_in_history,
        cast(null as date) as loss_date
    from opportunities
    left join first_won_rows
        on opportunities.opportunity_id = first_won_rows.opportunity_id
    where
        opportunities.is_won
        and first_won_rows.opportunity_id is null
        and opportunities.close_date <= {{ as_of_date() }}
),

won_events as (
    select * from won_in_history
    union all
    select * from won_without_history
)

select
    opportunity_id,
    won_date,
    cast(won_amount as decimal(18, 2)) as won_amount,
    is_won_in_history,
    loss_date,
    cast(
        {{ dbt.datediff('won_date', 'loss_date', 'day') }}
        as bigint
    ) as days_to_loss
from won_events
