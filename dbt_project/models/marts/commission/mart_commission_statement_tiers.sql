-- One row per commission statement (employee and fiscal quarter with a plan) and tier of its
-- plan: the plan's terms as they apply to the statement - tier bounds in bookings, multiplier,
-- rate per unit, how the tiers pay (tier_method), cap multiple and clawback window. In a locked
-- quarter the rows are the ledger's, as published when it locked.
with

quarter_tiers as (
    select * from {{ ref('int_commission_quarter_tiers') }}
    where scenario_id = {{ actual_terms() }}
),

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

periods as (
    select * from {{ ref('int_commission_periods') }}
),

locked_statement_tiers as (
    select * from {{ ref('stg_ledger__statement_tiers') }}
),

computed as (
    select
        quarter_tiers.employee_id,
        quarter_tiers.quarter_start,
        quarter_tiers.plan_id,
        plan_quarters.plan_name,
        quarter_tiers.tier_method,
        quarter_tiers.tier_number,
        quarter_tiers.floor_attainment,
        quarter_tiers.ceiling_attainment,
        quarter_tiers.rate_multiplier,
        {{ round_money('quarter_tiers.tier_lower') }} as tier_lower_amount,
        {{ round_money('quarter_tiers.tier_upper') }} as tier_upper_amount,
        quarter_tiers.base_rate * quarter_tiers.rate_multiplier as tier_rate,
        plan_quarters.cap_multiple,
        plan_quarters.clawback_days
    from quarter_tiers
    inner join plan_quarters
        on
            quarter_tiers.employee_id = plan_quarters.employee_id
            and quarter_tiers.quarter_start = plan_quarters.quarter_start
    left join periods
        on quarter_tiers.quarter_start = periods.quarter_start
    where not coalesce(periods.is_locked, false)
),

tiers as (
    select * from computed
    union all
    select
        employee_id,
        quarter_start,
        plan_id,
        plan_name,
        tier_method,
        tier_number,
        floor_attainment,
        ceiling_attainment,
        rate_multiplier,
        tier_lower_amount,
        tier_upper_amount,
        tier_rate,
        cap_multiple,
        clawback_days
    from locked_statement_tiers
)

select
    employee_id,
    quarter_start,
    plan_id,
    plan_name,
    tier_method,
    tier_number,
    floor_attainment,
    ceiling_attainment,
    rate_multiplier,
    tier_lower_amount,
    tier_upper_amount,
    tier_rate,
    cap_multiple,
    clawback_days
from tiers
