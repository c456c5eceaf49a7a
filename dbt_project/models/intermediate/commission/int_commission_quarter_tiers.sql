-- One row per set of plan terms (the actual ones and each scenario's), employee, fiscal quarter
-- with a plan and tier of that plan under those terms: the tier's bounds in bookings (floor and
-- ceiling x the quarter's quota), the quarter's base rate and how the tiers pay.
with

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

tiers as (
    select * from {{ ref('int_commission_plan_term_tiers') }}
)

{{ commission_quarter_tiers('plan_quarters', 'tiers') }}
