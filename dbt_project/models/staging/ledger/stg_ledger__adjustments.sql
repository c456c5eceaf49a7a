with

source as (
    select * from {{ source('ledger', 'adjustments') }}
),

renamed as (
    select
        employee_id,
        rep_id,
        quarter_start,
        adjusted_quarter_start,
        locked_amount,
        recomputed_amount,
        previously_adjusted_amount,
        adjustment_amount
    from source
)

select * from renamed
