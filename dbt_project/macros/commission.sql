{#-
    The tier arithmetic of commission booking lines, shared by int_commission_booking_lines
    (which sums it into each line's commission_amount) and int_commission_line_tiers (which
    publishes each part): one definition, so a statement's tier parts are the same numbers. It
    runs for every set of plan terms (int_commission_plan_term_tiers: the actual terms and each
    scenario's), so a scenario is computed by the same arithmetic as the actual statements.

    commission_quarter_tiers(plan_quarters, tiers): one row per set of terms, employee, quarter
    and tier of the quarter's plan under those terms. Tier k covers [floor_k x quota, ceiling_k x
    quota); tier_upper is NULL for the open top tier (no ceiling), and both bounds are NULL
    without a quota.
-#}
{% macro commission_quarter_tiers(plan_quarters, tiers) %}
    select
        {{ tiers }}.scenario_id,
        {{ plan_quarters }}.employee_id,
        {{ plan_quarters }}.quarter_start,
        {{ plan_quarters }}.plan_id,
        {{ tiers }}.tier_method,
        {#- row_number() is a bigint on DuckDB and an int on Spark; the contract says bigint. -#}
        {{ dbt.cast(
            'row_number() over (partition by ' ~ tiers ~ '.scenario_id, '
            ~ plan_quarters ~ '.employee_id, ' ~ plan_quarters ~ '.quarter_start order by '
            ~ tiers ~ '.floor_attainment)',
            api.Column.translate_type('bigint'),
        ) }} as tier_number,
        {{ tiers }}.floor_attainment,
        {{ tiers }}.ceiling_attainment,
        {{ tiers }}.rate_multiplier,
        {{ tiers }}.floor_attainment * {{ plan_quarters }}.quota_amount as tier_lower,
        {{ tiers }}.ceiling_attainment * {{ plan_quarters }}.quota_amount as tier_upper,
        {{ plan_quarters }}.quota_amount,
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
    Whether a tier [floor, ceiling) of attainment fractions holds an attainment (NULL, so no,
    without one); a NULL ceiling is the open top tier.
-#}
{% macro tier_holds(attainment, floor, ceiling) -%}
    ({{ attainment }} >= {{ floor }} and ({{ ceiling }} is null or {{ attainment }} < {{ ceiling }}))
{%- endmacro %}

{#-
    commission_tier_parts(lines, quarter_tiers): one row per booking line of `lines` (columns
    employee_id, quarter_start, opportunity_id, cumulative_before, cumulative_after and
    quarter_credited_bookings, the credited bookings of all the quarter's lines), set of plan
    terms and tier of its quarter (commission_quarter_tiers).
    - marginal: amount_in_tier = the length of the overlap of [cumulative_before,
      cumulative_after) with the tier (0 when they do not overlap; the open top tier reaches the
      line's end);
    - retroactive: amount_in_tier = the whole line in the one tier that holds the quarter's
      final attainment (quarter_credited_bookings / quota), 0 in every other tier;
    commission_in_tier = amount_in_tier x base_rate x rate_multiplier, unrounded (NULL without a
    base rate). A line's commission_amount is the sum of its parts rounded to cents once.
-#}
{% macro commission_tier_parts(lines, quarter_tiers) %}
    {%- set before = lines ~ '.cumulative_before' -%}
    {%- set after = lines ~ '.cumulative_after' -%}
    {%- set amount_in_tier -%}
        case
            when {{ quarter_tiers }}.tier_method = 'retroactive'
                then case
                    when {{ tier_holds(
                        quota_attainment_rate(
                            lines ~ '.quarter_credited_bookings', quarter_tiers ~ '.quota_amount'
                        ),
                        quarter_tiers ~ '.floor_attainment',
                        quarter_tiers ~ '.ceiling_attainment',
                    ) }}
                        then {{ after }} - {{ before }}
                    else 0
                end
            else {{ tier_overlap(
                before, after, quarter_tiers ~ '.tier_lower', quarter_tiers ~ '.tier_upper',
            ) }}
        end
    {%- endset %}
    select
        {{ quarter_tiers }}.scenario_id,
        {{ lines }}.employee_id,
        {{ lines }}.quarter_start,
        {{ lines }}.opportunity_id,
        {{ quarter_tiers }}.plan_id,
        {{ quarter_tiers }}.tier_method,
        {{ quarter_tiers }}.tier_number,
        {{ quarter_tiers }}.floor_attainment,
        {{ quarter_tiers }}.ceiling_attainment,
        {{ quarter_tiers }}.rate_multiplier,
        {{ quarter_tiers }}.tier_lower,
        {{ quarter_tiers }}.tier_upper,
        {{ quarter_tiers }}.base_rate,
        {{ amount_in_tier }} as amount_in_tier,
        {{ amount_in_tier }}
        * {{ quarter_tiers }}.base_rate
        * {{ quarter_tiers }}.rate_multiplier as commission_in_tier
    from {{ lines }}
    inner join {{ quarter_tiers }}
        on
            {{ lines }}.employee_id = {{ quarter_tiers }}.employee_id
            and {{ lines }}.quarter_start = {{ quarter_tiers }}.quarter_start
{% endmacro %}

{#-
    The scenario_id of the actual plan terms in the commission models that compute every set of
    plan terms (int_commission_plan_terms): the empty string, which no scenario id can be (an
    empty field is NULL, and a scenario id is a required key).
-#}
{% macro actual_terms() -%}
    ''
{%- endmacro %}
