with

activities as (
    select * from {{ ref('int_activities') }}
),

outcomes as (
    select * from {{ ref('int_opportunity_outcomes_monthly') }}
),

lead_follow_ups as (
    select * from {{ ref('int_lead_follow_ups') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

quotas as (
    select * from {{ ref('stg_sales_ops__quotas') }}
),

monthly_activities as (
    select
        owner_id as rep_id,
        {{ month_start('activity_at') }} as month_start,
        count(case when activity_type = 'call' then activity_id end) as calls,
        count(case when activity_type = 'email' then activity_id end) as emails,
        count(case when activity_type = 'other_task' then activity_id end) as other_tasks,
        count(case when activity_type = 'meeting' then activity_id end) as meetings_held
    from activities
    group by 1, 2
),

monthly_leads as (
    select
        owner_id as rep_id,
        {{ month_start('created_at') }} as month_start,
        count(*) as leads_created,
        count(case when is_converted then lead_id end) as leads_converted,
        -- Integer milliseconds add up exactly: the mean does not depend on summation order.
        cast(sum(follow_up_milliseconds) as double)
        / {{ milliseconds_per('hour') }}
        / count(follow_up_milliseconds)
            as avg_follow_up_hours,
        count(case when first_follow_up_at is null then lead_id end) as leads_without_follow_up
    from lead_follow_ups
    group by 1, 2
),

monthly_credits as (
    select
        rep_id,
        {{ month_start('close_date') }} as month_start,
        sum(credited_amount) as credited_bookings
    from credits
    where is_won
    group by 1, 2
),

-- A rep with a quota has a row for each quota month up to the as-of month, booked or not.
quota_months as (
    select
        reps.rep_id,
        quotas.month_start
    from quotas
    inner join reps
        on quotas.employee_id = reps.employee_id
    where quotas.month_start <= {{ month_start(as_of_date()) }}
),

rep_months as (
    select
        rep_id,
        month_start
    from monthly_activities
    union
    select
        rep_id,
        month_start
    from outcomes
    union
    select
        rep_id,
        month_start
    from monthly_leads
    union
    select
        rep_id,
        month_start
    from monthly_credits
    union
    select
        rep_id,
        month_start
    from quota_months
),

counted as (
    select
        rep_months.rep_id,
        rep_months.month_start,
        coalesce(monthly_activities.calls, 0) as calls,
        coalesce(monthly_activities.emails, 0) as emails,
        coalesce(monthly_activities.other_tasks, 0) as other_tasks,
        coalesce(monthly_activities.meetings_held, 0) as meetings_held,
        coalesce(outcomes.opportunities_created, 0) as opportunities_created,
        coalesce(outcomes.won_count, 0) as won_count,
        coalesce(outcomes.won_amount, 0) as won_amount,
        outcomes.win_rate,
        coalesce(monthly_leads.leads_created, 0) as leads_created,
        coalesce(monthly_leads.leads_converted, 0) as leads_converted,
        monthly_leads.avg_follow_up_hours,
        coalesce(monthly_leads.leads_without_follow_up, 0) as leads_without_follow_up,
        outcomes.avg_touchpoints_per_won,
        coalesce(monthly_credits.credited_bookings, 0) as credited_bookings,
        quotas.quota_amount
    from rep_months
    left join monthly_activities
        on
            rep_months.rep_id = monthly_activities.rep_id
            and rep_months.month_start = monthly_activities.month_start
    left join outcomes
        on
            rep_months.rep_id = outcomes.rep_id
            and rep_months.month_start = outcomes.month_start
    left join monthly_leads
        on
            rep_months.rep_id = monthly_leads.rep_id
            and rep_months.month_start = monthly_leads.month_start
    left join monthly_credits
        on
            rep_months.rep_id = monthly_credits.rep_id
            and rep_months.month_start = monthly_credits.month_start
    left join reps
        on rep_months.rep_id = reps.rep_id
    left join quotas
        on
            reps.employee_id = quotas.employee_id
            and rep_months.month_start = quotas.month_start
)

select
    rep_id,
    month_start,
    calls,
    emails,
    other_tasks,
    meetings_held,
    calls + emails + other_tasks + meetings_held as total_activities,
    opportunities_created,
    won_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    win_rate,
    leads_created,
    leads_converted,
    {{ safe_divide('leads_converted', 'leads_created') }} as lead_conversion_rate,
    cast(avg_follow_up_hours as double) as avg_follow_up_hours,
    leads_without_follow_up,
    avg_touchpoints_per_won,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    cast(quota_amount as decimal(18, 2)) as quota_amount,
    {{ quota_attainment_rate('credited_bookings', 'quota_amount') }} as quota_attainment_rate
from counted
