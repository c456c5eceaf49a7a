-- One row per set of plan terms and plan: the actual terms of every plan (scenario_id = the
-- empty string, macro actual_terms), and for each scenario the terms of every plan - the
-- scenario's own for a plan it names, the actual ones for every other plan. The commission
-- models compute every set of terms alike.
with

plans as (
    select * from {{ ref('stg_sales_ops__comp_plans') }}
),

scenarios as (
    select * from {{ ref('stg_sales_ops__plan_scenarios') }}
),

scenario_names as (
    select
        scenario_id,
        min(scenario_name) as scenario_name
    from scenarios
    group by 1
),

actual_terms as (
    select
        {{ actual_terms() }} as scenario_id,
        cast(null as {{ dbt.type_string() }}) as scenario_name,
        plan_id,
        plan_name,
        cap_multiple,
        clawback_days,
        tier_method,
        false as is_changed_by_scenario
    from plans
),

scenario_terms as (
    select
        scenario_names.scenario_id,
        scenario_names.scenario_name,
        plans.plan_id,
        plans.plan_name,
        case
            when scenarios.plan_id is null then plans.cap_multiple else scenarios.cap_multiple
        end as cap_multiple,
        case
            when scenarios.plan_id is null then plans.clawback_days else scenarios.clawback_days
        end as clawback_days,
        coalesce(scenarios.tier_method, plans.tier_method) as tier_method,
        scenarios.plan_id is not null as is_changed_by_scenario
    from scenario_names
    cross join plans
    left join scenarios
        on
            scenario_names.scenario_id = scenarios.scenario_id
            and plans.plan_id = scenarios.plan_id
),

terms as (
    select * from actual_terms
    union all
    select * from scenario_terms
)

select
    scenario_id,
    scenario_name,
    plan_id,
    plan_name,
    cast(cap_multiple as double) as cap_multiple,
    cast(clawback_days as bigint) as clawback_days,
    tier_method,
    is_changed_by_scenario
from terms
