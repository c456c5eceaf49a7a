-- One row per set of plan terms (the actual ones and each scenario's), employee and fiscal
-- quarter with a plan: credited bookings, gross commission of the booking lines, the cap under
-- those terms, capped commission and clawbacks.
with

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

terms as (
    select * from {{ ref('int_commission_plan_terms') }}
),

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

clawback_lines as (
    select * from {{ ref('int_commission_clawback_lines') }}
),

booking_totals as (
    select
        scenario_id,
        employee_id,
        quarter_start,
        sum(credited_amount) as credited_bookings,
        sum(commission_amount) as gross_commission
    from booking_lines
    group by 1, 2, 3
),

clawback_totals as (
    select
        scenario_id,
        employee_id,
        quarter_start,
        sum(commission_amount) as clawback_amount
    from clawback_lines
    group by 1, 2, 3
),

results as (
    select
        terms.scenario_id,
        terms.scenario_name,
        plan_quarters.employee_id,
        plan_quarters.rep_id,
        plan_quarters.quarter_start,
        plan_quarters.plan_id,
        plan_quarters.quota_amount,
        plan_quarters.target_incentive,
        plan_quarters.base_rate,
        terms.tier_method,
        terms.cap_multiple,
        cast(terms.cap_multiple * plan_quarters.target_incentive as decimal(18, 2)) as cap_amount,
        terms.clawback_days,
        coalesce(booking_totals.credited_bookings, 0) as credited_bookings,
        coalesce(booking_totals.gross_commission, 0) as gross_commission,
        coalesce(clawback_totals.clawback_amount, 0) as clawback_amount
    from plan_quarters
    inner join terms
        on plan_quarters.plan_id = terms.plan_id
    left join booking_totals
        on
            terms.scenario_id = booking_totals.scenario_id
            and plan_quarters.employee_id = booking_totals.employee_id
            and plan_quarters.quarter_start = booking_totals.quarter_start
    left join clawback_totals
        on
            terms.scenario_id = clawback_totals.scenario_id
            and plan_quarters.employee_id = clawback_totals.employee_id
            and plan_quarters.quarter_start = clawback_totals.quarter_start
)

select
    scenario_id,
    scenario_name,
    employee_id,
    rep_id,
    quarter_start,
    plan_id,
    quota_amount,
    target_incentive,
    base_rate,
    tier_method,
    cap_multiple,
    cap_amount,
    clawback_days,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    {{ quota_attainment_rate('credited_bookings', 'quota_amount') }} as attainment_rate,
    cast(gross_commission as decimal(18, 2)) as gross_commission,
    cast(
        case
            when cap_amount is null then gross_commission
            else least(gross_commission, cap_amount)
        end
        as decimal(18, 2)
    ) as capped_commission,
    cast(clawback_amount as decimal(18, 2)) as clawback_amount
from results
