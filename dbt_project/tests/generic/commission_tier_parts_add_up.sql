{#-
    Generic test on fct_commission_line_tiers: the tier parts of every commission line in
    `lines` (fct_commission_lines) add up to it. Rule: each part's commission_in_tier is rounded
    to cents on its own, while the line's commission_amount is the unrounded parts' sum rounded
    once, so they may differ by at most half a cent per part (|sum of parts - line| <= 0.005 x
    parts; a line in one tier is exact, a line across two tiers is off by at most one cent).
    The same bound holds for amount_in_tier against credited_amount when the tiers cover the
    line (both are exact when the tier bounds are whole cents). Fails for a tier row without a
    booking line (clawback lines do not fill tiers, so they have none), and for a booking line
    with commission but no parts.
-#}
{% test commission_tier_parts_add_up(model, lines) %}

with

parts as (
    select * from {{ model }}
),

lines as (
    select * from {{ lines }}
    where line_type = 'booking'
),

part_totals as (
    select
        employee_id,
        quarter_start,
        opportunity_id,
        count(*) as part_count,
        sum(amount_in_tier) as amount_in_tiers,
        sum(commission_in_tier) as commission_in_tiers
    from parts
    group by 1, 2, 3
),

compared as (
    select
        coalesce(lines.employee_id, part_totals.employee_id) as employee_id,
        coalesce(lines.quarter_start, part_totals.quarter_start) as quarter_start,
        coalesce(lines.opportunity_id, part_totals.opportunity_id) as opportunity_id,
        lines.credited_amount,
        lines.commission_amount,
        coalesce(part_totals.part_count, 0) as part_count,
        part_totals.amount_in_tiers,
        coalesce(part_totals.commission_in_tiers, 0) as commission_in_tiers
    from lines
    full outer join part_totals
        on
            lines.employee_id = part_totals.employee_id
            and lines.quarter_start = part_totals.quarter_start
            and lines.opportunity_id = part_totals.opportunity_id
)

select *
from compared
where
    commission_amount is null
    or abs(commission_in_tiers - commission_amount) > 0.005 * part_count
    or amount_in_tiers > credited_amount + 0.005 * part_count

{% endtest %}
