-- One row per set of plan terms, booking line and tier of its plan that holds part of the line,
-- with a base rate: the part of the line in the tier and its commission, by the arithmetic that
-- makes the line's commission_amount (macro commission_tier_parts, shared with
-- int_commission_booking_lines). Under retroactive terms the whole line is in one tier.
with

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

-- The lines' positions, the same under every set of terms.
positions as (
    select * from booking_lines
    where scenario_id = {{ actual_terms() }}
),

quarter_tiers as (
    select * from {{ ref('int_commission_quarter_tiers') }}
),

tier_parts as (
    {{ commission_tier_parts('positions', 'quarter_tiers') }}
)

select
    tier_parts.scenario_id,
    tier_parts.employee_id,
    booking_lines.rep_id,
    tier_parts.quarter_start,
    tier_parts.opportunity_id,
    tier_parts.plan_id,
    tier_parts.tier_method,
    tier_parts.tier_number,
    tier_parts.floor_attainment,
    tier_parts.ceiling_attainment,
    tier_parts.rate_multiplier,
    tier_parts.tier_lower,
    tier_parts.tier_upper,
    tier_parts.base_rate,
    tier_parts.amount_in_tier,
    tier_parts.commission_in_tier
from tier_parts
inner join booking_lines
    on
        tier_parts.scenario_id = booking_lines.scenario_id
        and tier_parts.employee_id = booking_lines.employee_id
        and tier_parts.quarter_start = booking_lines.quarter_start
        and tier_parts.opportunity_id = booking_lines.opportunity_id
where tier_parts.amount_in_tier > 0 and tier_parts.commission_in_tier is not null
