-- One row per history row of a live opportunity, with the flags of the stage it entered: the
-- one join of opportunity history to opportunities and stages that the models reading history
-- share (int_won_events, int_opportunity_state_versions, int_stage_stints).
with

history as (
    select * from {{ ref('stg_salesforce__opportunity_history') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
)

select
    history.opportunity_history_id,
    history.opportunity_id,
    history.created_at,
    history.stage_name,
    history.amount,
    history.probability,
    history.close_date,
    history.forecast_category,
    stages.api_name is not null as is_stage_defined,
    stages.sort_order as stage_order,
    stages.is_closed as is_closed_stage,
    stages.is_won as is_won_stage
from history
inner join opportunities
    on history.opportunity_id = opportunities.opportunity_id
left join stages
    on history.stage_name = stages.api_name
