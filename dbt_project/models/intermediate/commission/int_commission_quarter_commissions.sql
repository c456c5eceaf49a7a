-- One row per employee and fiscal quarter with a plan: the quarter's commission under the actual
-- plan terms (capped commission, clawbacks, SPIFFs) recomputed from the current data, before
-- adjustments, and the draw of the plan assignment that applies to the quarter.
with

results as (
    select * from {{ ref('int_commission_quarter_results') }}
    where scenario_id = {{ actual_terms() }}
),

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

spiff_lines as (
    select * from {{ ref('int_commission_spiff_lines') }}
),

spiff_totals as (
    select
        employee_id,
        quarter_start,
        sum(commission_amount) as spiff_amount
    from spiff_lines
    group by 1, 2
),

commissions as (
    select
        results.employee_id,
        results.rep_id,
        results.quarter_start,
        results.plan_id,
        results.quota_amount,
        results.target_incentive,
        results.base_rate,
        results.tier_method,
        results.cap_amount,
        results.credited_bookings,
        results.attainment_rate,
        results.gross_commission,
        results.capped_commission,
        results.clawback_amount,
        coalesce(spiff_totals.spiff_amount, 0) as spiff_amount,
        plan_quarters.quarterly_draw_amount,
        plan_quarters.draw_type
    from results
    inner join plan_quarters
        on
            results.employee_id = plan_quarters.employee_id
            and results.quarter_start = plan_quarters.quarter_start
    left join spiff_totals
        on
            results.employee_id = spiff_totals.employee_id
            and results.quarter_start = spiff_totals.quarter_start
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
    credited_bookings,
    attainment_rate,
    gross_commission,
    capped_commission,
    clawback_amount,
    cast(spiff_amount as decimal(18, 2)) as spiff_amount,
    cast(capped_commission + clawback_amount + spiff_amount as decimal(18, 2))
        as quarter_commission_amount,
    quarterly_draw_amount,
    draw_type
from commissions
