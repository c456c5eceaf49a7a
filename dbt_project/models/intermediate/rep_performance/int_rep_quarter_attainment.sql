-- One row per rep and fiscal quarter with a quota: the sum of the rep's monthly quotas in the
-- quarter and the credited bookings of won opportunities with close_date in it (0 when none).
with

reps as (
    select * from {{ ref('int_reps') }}
),

quotas as (
    select * from {{ ref('stg_sales_ops__quotas') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

quarter_quotas as (
    select
        reps.rep_id,
        {{ fiscal_quarter_start('quotas.month_start') }} as quarter_start,
        {{ money_sum('quotas.quota_amount') }} as quota_amount
    from reps
    inner join quotas
        on reps.employee_id = quotas.employee_id
    group by 1, 2
),

quarter_credits as (
    select
        rep_id,
        {{ fiscal_quarter_start('close_date') }} as quarter_start,
        {{ money_sum('credited_amount') }} as credited_bookings
    from credits
    where is_won
    group by 1, 2
)

select
    quarter_quotas.rep_id,
    quarter_quotas.quarter_start,
    quarter_quotas.quota_amount,
    coalesce(quarter_credits.credited_bookings, 0) as credited_bookings,
    {{ quota_attainment_rate(
        'coalesce(quarter_credits.credited_bookings, 0)',
        'quarter_quotas.quota_amount',
    ) }} as quota_attainment_rate
from quarter_quotas
left join quarter_credits
    on
        quarter_quotas.rep_id = quarter_credits.rep_id
        and quarter_quotas.quarter_start = quarter_credits.quarter_start
