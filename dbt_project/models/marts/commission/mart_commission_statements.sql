-- One row per employee and fiscal quarter with a plan: quota, base rate, credited bookings,
-- attainment, the quarter's commission (capped booking lines, clawbacks, SPIFFs), what it earns,
-- the draw paid and recovered, and the payout.
with

earnings as (
    select * from {{ ref('int_commission_earnings') }}
),

draws as (
    select * from {{ ref('int_commission_draws') }}
)

select
    earnings.employee_id,
    earnings.rep_id,
    earnings.quarter_start,
    earnings.plan_id,
    earnings.quota_amount,
    earnings.target_incentive,
    earnings.base_rate,
    earnings.credited_bookings,
    earnings.attainment_rate,
    earnings.gross_commission,
    earnings.capped_commission,
    earnings.clawback_amount,
    earnings.spiff_amount,
    earnings.quarter_commission_amount,
    earnings.adjustment_amount,
    earnings.earned_amount,
    draws.draw_amount,
    draws.draw_recovery_amount,
    draws.draw_balance,
    cast(
        earnings.earned_amount + draws.draw_amount - draws.draw_recovery_amount
        as decimal(18, 2)
    ) as payout_amount,
    earnings.cap_amount,
    earnings.tier_method,
    draws.quarterly_draw_amount,
    draws.draw_type,
    draws.opening_draw_balance
from earnings
inner join draws
    on
        earnings.employee_id = draws.employee_id
        and earnings.quarter_start = draws.quarter_start
