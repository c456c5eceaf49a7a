-- One row per booking line and tier of its plan that the line overlaps, with a base rate: the
-- part of the line in the tier and its commission, by the arithmetic that makes the line's
-- commission_amount (macro commission_tier_parts, shared with int_commission_booking_lines).
with

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

quarter_tiers as (
    select * from {{ ref('int_commission_quarter_tiers') }}
),

tier_parts as (
    {{ commission_tier_parts('booking_lines', 'quarter_tiers') }}
)

select
    tier_parts.employee_id,
    booking_lines.rep_id,
    tier_parts.quarter_start,
    tier_parts.opportunity_id,
    tier_parts.plan_id,
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
        tier_parts.employee_id = booking_lines.employee_id
        and tier_parts.quarter_start = booking_lines.quarter_start
        and tier_parts.opportunity_id = booking_lines.opportunity_id
where tier_parts.amount_in_tier > 0 and tier_parts.commission_in_tier is not null
