-- One row per employee and fiscal quarter with a plan: quota, base rate, credited bookings,
-- attainment, and the payout built from the quarter's booking and clawback lines.
with

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

clawback_lines as (
    select * from {{ ref('int_commission_clawback_lines') }}
),

booking_totals as (
    select
        employee_id,
        quarter_start,
        sum(credited_amount) as credited_bookings,
        sum(commission_amount) as gross_commission
    from booking_lines
    group by 1, 2
),

clawback_totals as (
    select
        employee_id,
        quarter_start,
        sum(commission_amount) as clawback_amount
    from clawback_lines
    group by 1, 2
),

statements as (
    select
        plan_quarters.employee_id,
        plan_quarters.rep_id,
        plan_quarters.quarter_start,
        plan_quarters.plan_id,
        plan_quarters.quota_amount,
        plan_quarters.target_incentive,
        plan_quarters.base_rate,
        plan_quarters.cap_amount,
        coalesce(booking_totals.credited_bookings, 0) as credited_bookings,
        coalesce(booking_totals.gross_commission, 0) as gross_commission,
        coalesce(clawback_totals.clawback_amount, 0) as clawback_amount
    from plan_quarters
    left join booking_totals
        on
            plan_quarters.employee_id = booking_totals.employee_id
            and plan_quarters.quarter_start = booking_totals.quarter_start
    left join clawback_totals
        on
            plan_quarters.employee_id = clawback_totals.employee_id
            and plan_quarters.quarter_start = clawback_totals.quarter_start
),

capped as (
    select
        *,
        case
            when cap_amount is null then gross_commission
            else least(gross_commission, cap_amount)
        end as capped_commission
    from statements
)

select
    employee_id,
    rep_id,
    quarter_start,
    plan_id,
    quota_amount,
    target_incentive,
    base_rate,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    {{ quota_attainment_rate('credited_bookings', 'quota_amount') }} as attainment_rate,
    cast(gross_commission as decimal(18, 2)) as gross_commission,
    cast(capped_commission as decimal(18, 2)) as capped_commission,
    cast(clawback_amount as decimal(18, 2)) as clawback_amount,
    cast(capped_commission + clawback_amount as decimal(18, 2)) as payout_amount,
    cap_amount
from capped
