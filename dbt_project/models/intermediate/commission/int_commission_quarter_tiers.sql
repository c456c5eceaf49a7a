-- One row per employee, fiscal quarter with a plan and tier of that plan: the tier's bounds in
-- bookings (floor and ceiling x the quarter's quota) and the quarter's base rate.
with

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

tiers as (
    select * from {{ ref('stg_sales_ops__comp_plan_tiers') }}
)

{{ commission_quarter_tiers('plan_quarters', 'tiers') }}
