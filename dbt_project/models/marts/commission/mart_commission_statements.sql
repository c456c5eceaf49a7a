-- One row per employee and fiscal quarter with a plan or an adjustment. A quarter locked in the
-- payout ledger shows its locked statements as they were published, with their lock (when, at
-- which as-of date, their chain hash); every other quarter is computed from the current data:
-- quota, base rate, credited bookings, attainment, the quarter's commission (capped booking
-- lines, clawbacks, SPIFFs), the adjustments of locked quarters it pays, what it earns, the draw
-- paid and recovered, and the payout. A quarter this run locks is computed here; publish writes
-- its lock (orchestration/lib/ledger).
with

earnings as (
    select * from {{ ref('int_commission_earnings') }}
),

draws as (
    select * from {{ ref('int_commission_draws') }}
),

locked_statements as (
    select * from {{ ref('stg_ledger__statements') }}
),

open_statements as (
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
        earnings.earned_amount + draws.draw_amount - draws.draw_recovery_amount as payout_amount,
        false as is_locked,
        cast(null as timestamp) as locked_at,
        cast(null as date) as locked_as_of_date,
        cast(null as {{ dbt.type_string() }}) as ledger_hash,
        cast(null as {{ dbt.type_string() }}) as locked_by_run_id,
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
),

locked as (
    select
        employee_id,
        rep_id,
        quarter_start,
        plan_id,
        quota_amount,
        target_incentive,
        base_rate,
        credited_bookings,
        attainment_rate,
        gross_commission,
        capped_commission,
        clawback_amount,
        spiff_amount,
        quarter_commission_amount,
        adjustment_amount,
        earned_amount,
        draw_amount,
        draw_recovery_amount,
        draw_balance,
        payout_amount,
        true as is_locked,
        locked_at,
        locked_as_of_date,
        ledger_hash,
        run_id as locked_by_run_id,
        cap_amount,
        tier_method,
        quarterly_draw_amount,
        draw_type,
        opening_draw_balance
    from locked_statements
),

statements as (
    select * from open_statements
    union all
    select * from locked
)

select
    employee_id,
    rep_id,
    quarter_start,
    plan_id,
    quota_amount,
    target_incentive,
    base_rate,
    credited_bookings,
    attainment_rate,
    gross_commission,
    capped_commission,
    clawback_amount,
    spiff_amount,
    quarter_commission_amount,
    adjustment_amount,
    earned_amount,
    draw_amount,
    draw_recovery_amount,
    draw_balance,
    cast(payout_amount as decimal(18, 2)) as payout_amount,
    is_locked,
    locked_at,
    locked_as_of_date,
    ledger_hash,
    locked_by_run_id,
    cap_amount,
    tier_method,
    quarterly_draw_amount,
    draw_type,
    opening_draw_balance
from statements
