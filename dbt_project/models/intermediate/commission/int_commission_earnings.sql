-- One row per employee and fiscal quarter not locked at the start of this run that has a plan or
-- pays an adjustment: the quarter's commission recomputed from the current data (0 without a
-- plan), the adjustments of locked quarters it pays, and what it earns. Locked quarters are the
-- ledger's (mart_commission_statements).
with

quarter_commissions as (
    select * from {{ ref('int_commission_quarter_commissions') }}
),

adjustments as (
    select * from {{ ref('int_commission_adjustments') }}
),

periods as (
    select * from {{ ref('int_commission_periods') }}
),

locked_quarters as (
    select quarter_start from periods
    where is_locked
),

open_commissions as (
    select quarter_commissions.*
    from quarter_commissions
    left join locked_quarters
        on quarter_commissions.quarter_start = locked_quarters.quarter_start
    where locked_quarters.quarter_start is null
),

adjustment_totals as (
    select
        employee_id,
        quarter_start,
        max(rep_id) as rep_id,
        sum(adjustment_amount) as adjustment_amount
    from adjustments
    group by 1, 2
),

earnings as (
    select
        coalesce(open_commissions.employee_id, adjustment_totals.employee_id) as employee_id,
        coalesce(open_commissions.rep_id, adjustment_totals.rep_id) as rep_id,
        coalesce(open_commissions.quarter_start, adjustment_totals.quarter_start)
            as quarter_start,
        open_commissions.plan_id,
        open_commissions.quota_amount,
        open_commissions.target_incentive,
        open_commissions.base_rate,
        open_commissions.tier_method,
        open_commissions.cap_amount,
        coalesce(open_commissions.credited_bookings, 0) as credited_bookings,
        open_commissions.attainment_rate,
        coalesce(open_commissions.gross_commission, 0) as gross_commission,
        coalesce(open_commissions.capped_commission, 0) as capped_commission,
        coalesce(open_commissions.clawback_amount, 0) as clawback_amount,
        coalesce(open_commissions.spiff_amount, 0) as spiff_amount,
        coalesce(open_commissions.quarter_commission_amount, 0) as quarter_commission_amount,
        coalesce(adjustment_totals.adjustment_amount, 0) as adjustment_amount,
        open_commissions.quarterly_draw_amount,
        open_commissions.draw_type
    from open_commissions
    full outer join adjustment_totals
        on
            open_commissions.employee_id = adjustment_totals.employee_id
            and open_commissions.quarter_start = adjustment_totals.quarter_start
)

select
    employee_id,
    rep_id,
    quarter_start,
    plan_id,
    quota_amount,
    target_incentive,
    base_rate,
    tier_method,
    cap_amount,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    attainment_rate,
    cast(gross_commission as decimal(18, 2)) as gross_commission,
    cast(capped_commission as decimal(18, 2)) as capped_commission,
    cast(clawback_amount as decimal(18, 2)) as clawback_amount,
    cast(spiff_amount as decimal(18, 2)) as spiff_amount,
    cast(quarter_commission_amount as decimal(18, 2)) as quarter_commission_amount,
    cast(adjustment_amount as decimal(18, 2)) as adjustment_amount,
    cast(quarter_commission_amount + adjustment_amount as decimal(18, 2)) as earned_amount,
    quarterly_draw_amount,
    draw_type
from earnings
