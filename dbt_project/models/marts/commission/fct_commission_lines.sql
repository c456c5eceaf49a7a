-- One row per employee, fiscal quarter, opportunity and line type: the booking lines that fill
-- the tiers and the clawback lines that reverse them.
with

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

clawback_lines as (
    select * from {{ ref('int_commission_clawback_lines') }}
),

lines as (
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date
    from booking_lines
    union all
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date
    from clawback_lines
)

select
    employee_id,
    rep_id,
    quarter_start,
    opportunity_id,
    line_type,
    credited_amount,
    cumulative_before,
    cumulative_after,
    commission_amount,
    plan_id,
    won_date,
    event_date
from lines
