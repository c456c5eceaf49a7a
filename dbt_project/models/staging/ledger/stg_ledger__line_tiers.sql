with

source as (
    select * from {{ source('ledger', 'line_tiers') }}
),

renamed as (
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
    from source
)

select * from renamed
