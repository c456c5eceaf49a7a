-- One row per live opportunity created on or before the as-of date, in its state at the end of
-- that day (contract: "Opportunity state at the end of day d").
with

versions as (
    select * from {{ ref('int_opportunity_state_versions') }}
),

as_of_day as (
    select {{ as_of_date() }} as state_date
),

states as (
    {{ opportunity_states_on('as_of_day', 'versions') }}
)

select
    opportunity_id,
    owner_id,
    created_at,
    is_from_history,
    stage_name,
    amount,
    probability,
    close_date,
    forecast_category,
    is_closed,
    is_won
from states
