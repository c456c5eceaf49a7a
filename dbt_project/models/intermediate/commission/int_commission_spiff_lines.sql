-- One SPIFF line per program, employee and won opportunity credited to the employee with a plan
-- in the won date's quarter (the booking lines), when the won date lies in the program's window,
-- the opportunity's Type is the program's (when it names one) and its won amount reaches the
-- program's minimum (when it has one): amount_per_deal x the employee's split percentage / 100,
-- in the won date's quarter. A program's maximum per employee is paid in order of won date, then
-- opportunity_id: the line that crosses it gets the rest, later lines are not emitted. SPIFFs are
-- outside the cap and never clawed back.
with

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
    where scenario_id = {{ actual_terms() }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

spiffs as (
    select * from {{ ref('stg_sales_ops__spiffs') }}
),

qualifying as (
    select
        booking_lines.employee_id,
        booking_lines.rep_id,
        booking_lines.quarter_start,
        booking_lines.opportunity_id,
        spiffs.spiff_id,
        booking_lines.plan_id,
        booking_lines.won_date,
        booking_lines.credited_amount,
        spiffs.max_payout_per_employee,
        {{ round_money('spiffs.amount_per_deal * booking_lines.split_percentage / 100') }}
            as spiff_amount
    from booking_lines
    inner join opportunities
        on booking_lines.opportunity_id = opportunities.opportunity_id
    inner join spiffs
        on
            booking_lines.won_date >= spiffs.start_date
            and booking_lines.won_date <= spiffs.end_date
            and (
                spiffs.opportunity_type is null
                or opportunities.opportunity_type = spiffs.opportunity_type
            )
            and (spiffs.min_amount is null or booking_lines.won_amount >= spiffs.min_amount)
),

paid_so_far as (
    select
        *,
        sum(spiff_amount) over (
            partition by employee_id, spiff_id
            order by won_date, opportunity_id
            rows between unbounded preceding and 1 preceding
        ) as paid_before
    from qualifying
),

limited as (
    select
        *,
        case
            when max_payout_per_employee is null then spiff_amount
            else least(
                spiff_amount,
                greatest(max_payout_per_employee - coalesce(paid_before, 0), 0)
            )
        end as commission_amount
    from paid_so_far
    where max_payout_per_employee is null or coalesce(paid_before, 0) < max_payout_per_employee
)

select
    employee_id,
    rep_id,
    quarter_start,
    opportunity_id,
    'spiff' as line_type,
    spiff_id,
    plan_id,
    won_date,
    won_date as event_date,
    credited_amount,
    cast(null as decimal(18, 2)) as cumulative_before,
    cast(null as decimal(18, 2)) as cumulative_after,
    cast(commission_amount as decimal(18, 2)) as commission_amount
from limited
