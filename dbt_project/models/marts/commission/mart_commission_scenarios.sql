-- One row per plan scenario, employee and fiscal quarter with a plan: the commission under the
-- scenario's plan terms beside the actual one, both computed by the same commission models
-- (int_commission_quarter_results) from the current data, without SPIFFs, draws or period
-- close: they compare commission, not payments.
with

results as (
    select * from {{ ref('int_commission_quarter_results') }}
),

actual as (
    select * from results
    where scenario_id = {{ actual_terms() }}
),

scenarios as (
    select * from results
    where scenario_id != {{ actual_terms() }}
)

select
    scenarios.scenario_id,
    scenarios.scenario_name,
    scenarios.employee_id,
    scenarios.rep_id,
    scenarios.quarter_start,
    scenarios.plan_id,
    scenarios.credited_bookings,
    scenarios.attainment_rate,
    actual.capped_commission as actual_capped_commission,
    actual.clawback_amount as actual_clawback_amount,
    scenarios.gross_commission as scenario_gross_commission,
    scenarios.capped_commission as scenario_capped_commission,
    scenarios.clawback_amount as scenario_clawback_amount,
    cast(
        (scenarios.capped_commission + scenarios.clawback_amount)
        - (actual.capped_commission + actual.clawback_amount)
        as decimal(18, 2)
    ) as commission_difference,
    actual.gross_commission as actual_gross_commission,
    scenarios.tier_method as scenario_tier_method,
    scenarios.cap_amount as scenario_cap_amount,
    scenarios.clawback_days as scenario_clawback_days
from scenarios
inner join actual
    on
        scenarios.employee_id = actual.employee_id
        and scenarios.quarter_start = actual.quarter_start
