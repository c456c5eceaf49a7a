{#-
    Generic test on mart_commission_statements: every statement reconciles exactly to its lines
    in `lines` (fct_commission_lines). Fails with one row per employee and quarter where
    credited_bookings differs from the sum of its booking lines' credited_amount,
    gross_commission from the sum of their commission_amount, clawback_amount from the sum of
    its clawback lines' commission_amount, spiff_amount from the sum of its SPIFF lines'
    commission_amount, quarter_commission_amount from capped_commission + clawback_amount +
    spiff_amount, earned_amount from that + adjustment_amount, or payout_amount from
    earned_amount + draw_amount - draw_recovery_amount; or where capped_commission exceeds
    gross_commission, or the draw balance does not carry (opening balance + recoverable draw
    paid - recovered, per employee in quarter order, from 0). A quarter's lines
    without a statement are checked by `commission_lines_have_statements`.
-#}
{% test commission_statements_reconcile(model, lines) %}

with

statements as (
    select * from {{ model }}
),

lines as (
    select * from {{ lines }}
),

line_totals as (
    select
        employee_id,
        quarter_start,
        sum(case when line_type = 'booking' then credited_amount else 0 end) as booked,
        sum(case when line_type = 'booking' then commission_amount else 0 end) as gross,
        sum(case when line_type = 'clawback' then commission_amount else 0 end) as clawed_back,
        sum(case when line_type = 'spiff' then commission_amount else 0 end) as spiffs
    from lines
    group by 1, 2
),

compared as (
    select
        statements.employee_id,
        statements.quarter_start,
        statements.credited_bookings,
        coalesce(line_totals.booked, 0) as lines_credited_bookings,
        statements.gross_commission,
        coalesce(line_totals.gross, 0) as lines_gross_commission,
        statements.capped_commission,
        statements.clawback_amount,
        coalesce(line_totals.clawed_back, 0) as lines_clawback_amount,
        statements.spiff_amount,
        coalesce(line_totals.spiffs, 0) as lines_spiff_amount,
        statements.quarter_commission_amount,
        statements.adjustment_amount,
        statements.earned_amount,
        statements.draw_amount,
        statements.draw_recovery_amount,
        statements.draw_balance,
        coalesce(
            lag(statements.draw_balance) over (
                partition by statements.employee_id order by statements.quarter_start
            ),
            0
        )
        + case when statements.draw_type = 'recoverable' then statements.draw_amount else 0 end
        - statements.draw_recovery_amount as carried_draw_balance,
        statements.payout_amount
    from statements
    left join line_totals
        on
            statements.employee_id = line_totals.employee_id
            and statements.quarter_start = line_totals.quarter_start
)

select *
from compared
where
    credited_bookings != lines_credited_bookings
    or gross_commission != lines_gross_commission
    or clawback_amount != lines_clawback_amount
    or spiff_amount != lines_spiff_amount
    or quarter_commission_amount != capped_commission + clawback_amount + spiff_amount
    or earned_amount != quarter_commission_amount + adjustment_amount
    or payout_amount != earned_amount + draw_amount - draw_recovery_amount
    or draw_balance != carried_draw_balance
    or draw_balance < 0
    or capped_commission > gross_commission

{% endtest %}
