-- One row per snapshot day of a quarter (int_forecast_snapshot_days) and opportunity whose
-- state at the end of that day has its close date in the quarter. All days of all quarters
-- in one range join against the state versions.
with

snapshot_days as (
    select * from {{ ref('int_forecast_snapshot_days') }}
),

versions as (
    select * from {{ ref('int_opportunity_state_versions') }}
),

state_days as (
    select distinct snapshot_date as state_date
    from snapshot_days
),

states as (
    {{ opportunity_states_on('state_days', 'versions') }}
)

select
    snapshot_days.quarter_start,
    snapshot_days.week_of_quarter,
    snapshot_days.snapshot_date,
    states.opportunity_id,
    states.owner_id,
    states.stage_name,
    states.amount,
    states.probability,
    states.close_date,
    states.forecast_category,
    states.is_closed,
    states.is_won
from snapshot_days
inner join states
    on
        snapshot_days.snapshot_date = states.state_date
        and states.close_date between snapshot_days.quarter_start and snapshot_days.quarter_end
