{#-
    Generic test on int_opportunity_credits: every won opportunity of `opportunities`
    (int_opportunities) is credited to at least one rep, and its credited amounts add up to its
    amount, within the cent each credit's rounding may cost. Fails with one row per won
    opportunity that is not fully credited (or not credited at all). That raw split percentages
    add up to 100 is the raw gate's rule (ingestion/expectations.py, split_totals), not this one.
-#}
{% test won_deal_credits_sum_to_amount(model, opportunities) %}

with

credits as (
    select * from {{ model }}
),

opportunities as (
    select * from {{ opportunities }}
),

credit_totals as (
    select
        opportunities.opportunity_id,
        opportunities.amount,
        sum(credits.credited_amount) as credited_total,
        count(credits.rep_id) as credited_reps
    from opportunities
    left join credits
        on opportunities.opportunity_id = credits.opportunity_id
    where opportunities.is_won
    group by 1, 2
)

select *
from credit_totals
where
    credited_reps = 0
    or abs(coalesce(credited_total, 0) - coalesce(amount, 0)) >= 0.01 * credited_reps

{% endtest %}
