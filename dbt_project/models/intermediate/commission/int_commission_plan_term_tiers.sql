-- One row per set of plan terms (int_commission_plan_terms), plan and tier: the plan's own
-- tiers for the actual terms and for a scenario that lists no tiers for the plan; the
-- scenario's tiers where it lists some.
with

terms as (
    select * from {{ ref('int_commission_plan_terms') }}
),

plan_tiers as (
    select * from {{ ref('stg_sales_ops__comp_plan_tiers') }}
),

scenario_tiers as (
    select * from {{ ref('stg_sales_ops__plan_scenario_tiers') }}
),

scenario_tier_sets as (
    select distinct
        scenario_id,
        plan_id
    from scenario_tiers
),

terms_with_tier_source as (
    select
        terms.scenario_id,
        terms.plan_id,
        terms.tier_method,
        terms.is_changed_by_scenario and scenario_tier_sets.plan_id is not null
            as has_scenario_tiers
    from terms
    left join scenario_tier_sets
        on
            terms.scenario_id = scenario_tier_sets.scenario_id
            and terms.plan_id = scenario_tier_sets.plan_id
),

own_tiers as (
    select
        terms_with_tier_source.scenario_id,
        terms_with_tier_source.plan_id,
        terms_with_tier_source.tier_method,
        plan_tiers.floor_attainment,
        plan_tiers.ceiling_attainment,
        plan_tiers.rate_multiplier
    from terms_with_tier_source
    inner join plan_tiers
        on terms_with_tier_source.plan_id = plan_tiers.plan_id
    where not terms_with_tier_source.has_scenario_tiers
),

replaced_tiers as (
    select
        terms_with_tier_source.scenario_id,
        terms_with_tier_source.plan_id,
        terms_with_tier_source.tier_method,
        scenario_tiers.floor_attainment,
        scenario_tiers.ceiling_attainment,
        scenario_tiers.rate_multiplier
    from terms_with_tier_source
    inner join scenario_tiers
        on
            terms_with_tier_source.scenario_id = scenario_tiers.scenario_id
            and terms_with_tier_source.plan_id = scenario_tiers.plan_id
    where terms_with_tier_source.has_scenario_tiers
),

tiers as (
    select * from own_tiers
    union all
    select * from replaced_tiers
)

select
    scenario_id,
    plan_id,
    tier_method,
    floor_attainment,
    ceiling_attainment,
    rate_multiplier
from tiers
