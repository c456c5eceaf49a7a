-- One row per booking line and tier that holds part of it: the part of the line in the tier and
-- the commission it earns there, the parts of fct_commission_lines.commission_amount. Under a
-- retroactive plan the whole line is in the tier of the quarter's final attainment. In a locked
-- quarter the rows are the ledger's, as published when it locked.
with

line_tiers as (
    select * from {{ ref('int_commission_line_tiers') }}
    where scenario_id = {{ actual_terms() }}
),

periods as (
    select * from {{ ref('int_commission_periods') }}
),

locked_line_tiers as (
    select * from {{ ref('stg_ledger__line_tiers') }}
),

computed as (
    select
        line_tiers.employee_id,
        line_tiers.rep_id,
        line_tiers.quarter_start,
        line_tiers.opportunity_id,
        line_tiers.plan_id,
        line_tiers.tier_method,
        line_tiers.tier_number,
        line_tiers.floor_attainment,
        line_tiers.ceiling_attainment,
        line_tiers.rate_multiplier,
        {{ round_money('line_tiers.tier_lower') }} as tier_lower_amount,
        {{ round_money('line_tiers.tier_upper') }} as tier_upper_amount,
        line_tiers.base_rate * line_tiers.rate_multiplier as tier_rate,
        {{ round_money('line_tiers.amount_in_tier') }} as amount_in_tier,
        {{ round_money('line_tiers.commission_in_tier') }} as commission_in_tier
    from line_tiers
    left join periods
        on line_tiers.quarter_start = periods.quarter_start
    where not coalesce(periods.is_locked, false)
),

tiers as (
    select * from computed
    union all
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
        tier_lower_amount,
        tier_upper_amount,
        tier_rate,
        amount_in_tier,
        commission_in_tier
    from locked_line_tiers
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
    tier_lower_amount,
    tier_upper_amount,
    tier_rate,
    amount_in_tier,
    commission_in_tier
from tiers
