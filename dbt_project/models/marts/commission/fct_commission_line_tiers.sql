-- One row per booking line and tier that holds part of it: the part of the line in the tier and
-- the commission it earns there, the parts of fct_commission_lines.commission_amount. Under a
-- retroactive plan the whole line is in the tier of the quarter's final attainment.
with

line_tiers as (
    select * from {{ ref('int_commission_line_tiers') }}
    where scenario_id = {{ actual_terms() }}
)

select
    employee_id,
    rep_id,
    quarter_start,
    opportunity_id,
    plan_id,
    tier_method,
    tier_number,
    floor_attainment,
    ceiling_attainment,
    rate_multiplier,
    {{ round_money('tier_lower') }} as tier_lower_amount,
    {{ round_money('tier_upper') }} as tier_upper_amount,
    base_rate * rate_multiplier as tier_rate,
    {{ round_money('amount_in_tier') }} as amount_in_tier,
    {{ round_money('commission_in_tier') }} as commission_in_tier
from line_tiers
