with

source as (
    select * from {{ source('ledger', 'lines') }}
),

renamed as (
    select
        sequence,
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        spiff_id,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date,
        opportunity_name,
        account_name,
        spiff_name
    from source
)

select * from renamed
