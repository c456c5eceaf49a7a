-- One clawback line per set of plan terms and booking line whose opportunity was lost no more
-- than the clawback_days of the booking line's plan (under those terms) after its won date:
-- minus the booking line's credit and commission, in the quarter of the loss, under the
-- booking line's plan.
with

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
),

won_events as (
    select * from {{ ref('int_won_events') }}
),

terms as (
    select * from {{ ref('int_commission_plan_terms') }}
)

select
    booking_lines.scenario_id,
    booking_lines.employee_id,
    booking_lines.rep_id,
    {{ fiscal_quarter_start('won_events.loss_date') }} as quarter_start,
    booking_lines.opportunity_id,
    'clawback' as line_type,
    booking_lines.plan_id,
    booking_lines.won_date,
    won_events.loss_date as event_date,
    won_events.days_to_loss,
    -booking_lines.credited_amount as credited_amount,
    cast(null as decimal(18, 2)) as cumulative_before,
    cast(null as decimal(18, 2)) as cumulative_after,
    -booking_lines.commission_amount as commission_amount
from booking_lines
inner join won_events
    on booking_lines.opportunity_id = won_events.opportunity_id
inner join terms
    on
        booking_lines.scenario_id = terms.scenario_id
        and booking_lines.plan_id = terms.plan_id
where won_events.days_to_loss <= terms.clawback_days
