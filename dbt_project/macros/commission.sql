{#-
    Generic test on mart_commission_statements: every statement reconciles exactly to its lines
    in `lines` (fct_commission_lines). Fails with one row per employee and quarter where
    credited_bookings differs from the sum of its booking lines' credited_amount,
    gross_commission from the sum of their commission_amount, clawback_amount from the sum of
    its clawback lines' commission_amount, or payout_amount from capped_commission +
    clawback_amount, or where capped_commission exceeds gross_commission. A quarter's lines
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
        sum(case when line_type = 'clawback' then commission_amount else 0 end) as clawed_back
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
    or payout_amount != capped_commission + clawback_amount
    or capped_commission > gross_commission

{% endtest %}

{#-
    Generic test on fct_commission_lines: every line's employee and quarter has a statement in
    `statements`. A clawback line can lack one when the employee has no plan in the quarter of
    the loss (e.g. left the company): its amount is deducted from no payout.
-#}
{% test commission_lines_have_statements(model, statements) %}

with

lines as (
    select * from {{ model }}
),

statements as (
    select * from {{ statements }}
)

select
    lines.employee_id,
    lines.quarter_start,
    lines.opportunity_id,
    lines.line_type,
    lines.commission_amount
from lines
left join statements
    on
        lines.employee_id = statements.employee_id
        and lines.quarter_start = statements.quarter_start
where statements.employee_id is null

{% endtest %}

{#-
    Generic data-quality test on mart_commission_statements: names each employee and quarter
    with a plan but no quota (NULL or 0), whose base rate and attainment are NULL and whose
    commission is 0.
-#}
{% test commission_quota_present(model) %}

select
    employee_id,
    quarter_start,
    plan_id,
    quota_amount
from {{ model }}
where quota_amount is null or quota_amount = 0

{% endtest %}

{#-
    The tier arithmetic of commission booking lines, shared by int_commission_booking_lines
    (which sums it into each line's commission_amount) and int_commission_line_tiers (which
    publishes each part): one definition, so a statement's tier parts are the same numbers.

    commission_quarter_tiers(plan_quarters, tiers): one row per employee, quarter and tier of
    the quarter's plan. Tier k covers [floor_k x quota, ceiling_k x quota); tier_upper is NULL
    for the open top tier (no ceiling), and both bounds are NULL without a quota.
-#}
{% macro commission_quarter_tiers(plan_quarters, tiers) %}
    select
        {{ plan_quarters }}.employee_id,
        {{ plan_quarters }}.quarter_start,
        {{ plan_quarters }}.plan_id,
        {#- row_number() is a bigint on DuckDB and an int on Spark; the contract says bigint. -#}
        {{ dbt.cast(
            'row_number() over (partition by ' ~ plan_quarters ~ '.employee_id, '
            ~ plan_quarters ~ '.quarter_start order by ' ~ tiers ~ '.floor_attainment)',
            api.Column.translate_type('bigint'),
        ) }} as tier_number,
        {{ tiers }}.floor_attainment,
        {{ tiers }}.ceiling_attainment,
        {{ tiers }}.rate_multiplier,
        {{ tiers }}.floor_attainment * {{ plan_quarters }}.quota_amount as tier_lower,
        {{ tiers }}.ceiling_attainment * {{ plan_quarters }}.quota_amount as tier_upper,
        {{ plan_quarters }}.base_rate
    from {{ plan_quarters }}
    inner join {{ tiers }}
        on {{ plan_quarters }}.plan_id = {{ tiers }}.plan_id
{% endmacro %}

{#-
    The length of the overlap of a line's span [before, after) with a tier [lower, upper): 0
    when they do not overlap; upper NULL is the open top tier, which reaches the line's end.
-#}
{% macro tier_overlap(before, after, lower, upper) -%}
    greatest(least({{ after }}, coalesce({{ upper }}, {{ after }})) - greatest({{ before }}, {{ lower }}), 0)
{%- endmacro %}

{#-
    commission_tier_parts(lines, quarter_tiers): one row per booking line of `lines` (columns
    employee_id, quarter_start, opportunity_id, cumulative_before, cumulative_after) and tier of
    its quarter (commission_quarter_tiers). amount_in_tier = the length of the overlap of
    [cumulative_before, cumulative_after) with the tier (0 when they do not overlap; the open
    top tier reaches the line's end); commission_in_tier = amount_in_tier x base_rate x
    rate_multiplier, unrounded (NULL without a base rate). A line's commission_amount is the sum
    of its parts rounded to cents once.
-#}
{% macro commission_tier_parts(lines, quarter_tiers) %}
    select
        {{ lines }}.employee_id,
        {{ lines }}.quarter_start,
        {{ lines }}.opportunity_id,
        {{ quarter_tiers }}.plan_id,
        {{ quarter_tiers }}.tier_number,
        {{ quarter_tiers }}.floor_attainment,
        {{ quarter_tiers }}.ceiling_attainment,
        {{ quarter_tiers }}.rate_multiplier,
        {{ quarter_tiers }}.tier_lower,
        {{ quarter_tiers }}.tier_upper,
        {{ quarter_tiers }}.base_rate,
        {{ tier_overlap(
            lines ~ '.cumulative_before', lines ~ '.cumulative_after',
            quarter_tiers ~ '.tier_lower', quarter_tiers ~ '.tier_upper',
        ) }} as amount_in_tier,
        {{ tier_overlap(
            lines ~ '.cumulative_before', lines ~ '.cumulative_after',
            quarter_tiers ~ '.tier_lower', quarter_tiers ~ '.tier_upper',
        ) }}
        * {{ quarter_tiers }}.base_rate
        * {{ quarter_tiers }}.rate_multiplier as commission_in_tier
    from {{ lines }}
    inner join {{ quarter_tiers }}
        on
            {{ lines }}.employee_id = {{ quarter_tiers }}.employee_id
            and {{ lines }}.quarter_start = {{ quarter_tiers }}.quarter_start
{% endmacro %}

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
