-- One booking line per set of plan terms (the actual ones and each scenario's), employee,
-- quarter and won opportunity credited to the employee's rep, in the quarter of the won date,
-- when the employee has a plan in that quarter. Lines fill the plan's tiers in order of won
-- date, then opportunity_id; the terms decide the tiers and how they pay.
with

won_events as (
    select * from {{ ref('int_won_events') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

plan_quarters as (
    select * from {{ ref('int_commission_plan_quarters') }}
),

tiers as (
    select * from {{ ref('int_commission_plan_term_tiers') }}
),

term_sets as (
    select distinct scenario_id from {{ ref('int_commission_plan_terms') }}
),

employee_credits as (
    select
        credits.opportunity_id,
        reps.employee_id,
        sum(credits.split_percentage) as split_percentage
    from credits
    inner join reps
        on credits.rep_id = reps.rep_id
    where reps.employee_id is not null
    group by 1, 2
),

credited_wins as (
    select
        employee_credits.employee_id,
        {{ fiscal_quarter_start('won_events.won_date') }} as quarter_start,
        won_events.opportunity_id,
        won_events.won_date,
        won_events.won_amount,
        employee_credits.split_percentage,
        cast(round(
            coalesce(won_events.won_amount, 0)
            * cast(employee_credits.split_percentage / 100 as decimal(12, 8)),
            2
        ) as decimal(18, 2)) as credited_amount
    from won_events
    inner join employee_credits
        on won_events.opportunity_id = employee_credits.opportunity_id
),

spans as (
    select
        credited_wins.employee_id,
        plan_quarters.rep_id,
        credited_wins.quarter_start,
        credited_wins.opportunity_id,
        plan_quarters.plan_id,
        credited_wins.won_date,
        credited_wins.won_amount,
        credited_wins.split_percentage,
        credited_wins.credited_amount,
        sum(credited_wins.credited_amount) over (
            partition by credited_wins.employee_id, credited_wins.quarter_start
            order by credited_wins.won_date, credited_wins.opportunity_id
            rows between unbounded preceding and current row
        ) as cumulative_after,
        sum(credited_wins.credited_amount) over (
            partition by credited_wins.employee_id, credited_wins.quarter_start
        ) as quarter_credited_bookings
    from credited_wins
    inner join plan_quarters
        on
            credited_wins.employee_id = plan_quarters.employee_id
            and credited_wins.quarter_start = plan_quarters.quarter_start
),

positions as (
    select
        employee_id,
        quarter_start,
        opportunity_id,
        cumulative_after - credited_amount as cumulative_before,
        cumulative_after,
        quarter_credited_bookings
    from spans
),

-- The plan's tiers as bookings bands of the quarter; the parts of each line in each tier
-- (macros/commission.sql, shared with int_commission_line_tiers).
quarter_tiers as (
    {{ commission_quarter_tiers('plan_quarters', 'tiers') }}
),

tier_parts as (
    {{ commission_tier_parts('positions', 'quarter_tiers') }}
),

tier_commissions as (
    select
        scenario_id,
        employee_id,
        quarter_start,
        opportunity_id,
        sum(commission_in_tier) as commission
    from tier_parts
    group by 1, 2, 3, 4
)

select
    term_sets.scenario_id,
    spans.employee_id,
    spans.rep_id,
    spans.quarter_start,
    spans.opportunity_id,
    'booking' as line_type,
    spans.plan_id,
    spans.won_date,
    spans.won_date as event_date,
    spans.won_amount,
    spans.split_percentage,
    spans.credited_amount,
    cast(spans.cumulative_after - spans.credited_amount as decimal(18, 2)) as cumulative_before,
    cast(spans.cumulative_after as decimal(18, 2)) as cumulative_after,
    cast(spans.quarter_credited_bookings as decimal(18, 2)) as quarter_credited_bookings,
    {{ round_money('coalesce(tier_commissions.commission, 0)') }} as commission_amount
from spans
cross join term_sets
left join tier_commissions
    on
        term_sets.scenario_id = tier_commissions.scenario_id
        and spans.employee_id = tier_commissions.employee_id
        and spans.quarter_start = tier_commissions.quarter_start
        and spans.opportunity_id = tier_commissions.opportunity_id
