with

opportunities as (
    select * from {{ ref('int_opportunities') }}
)

select
    opportunity_id,
    account_id,
    owner_id as owner_rep_id,
    created_at,
    created_date,
    close_date,
    stage_name,
    amount,
    probability,
    forecast_category_name as forecast_category,
    is_closed,
    is_won,
    lead_source,
    opportunity_type,
    sales_cycle_days,
    touchpoints
from opportunities
