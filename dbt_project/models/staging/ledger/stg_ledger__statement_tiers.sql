with

source as (
    select * from {{ source('ledger', 'statement_tiers') }}
),

renamed as (
    select
        employee_id,
        quarter_start,
        plan_id,
        plan_name,
        tier_method,
        tier_number,
        floor_attainment,
        ceiling_attainment,
        rate_multiplier,
        tier_lower_amount,
        tier_upper_amount,
        tier_rate,
        cap_multiple,
        clawback_days
    from source
)

select * from renamed
