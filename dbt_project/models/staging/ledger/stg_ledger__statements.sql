with

source as (
    select * from {{ source('ledger', 'statements') }}
),

renamed as (
    select
        sequence,
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
        cap_amount,
        tier_method,
        quarterly_draw_amount,
        draw_type,
        opening_draw_balance,
        locked_at,
        locked_as_of_date,
        run_id,
        previous_hash,
        ledger_hash
    from source
)

select * from renamed
