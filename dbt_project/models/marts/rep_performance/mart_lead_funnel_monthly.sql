with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

follow_ups as (
    select * from {{ ref('int_lead_follow_ups') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

lead_outcomes as (
    select
        leads.owner_id as rep_id,
        {{ month_start('leads.created_at') }} as month_start,
        leads.lead_id,
        follow_ups.first_follow_up_at is not null as is_followed_up,
        coalesce(leads.is_converted, false) as is_converted,
        case
            when leads.is_converted
                then {{ dbt.datediff('leads.created_at', 'leads.converted_date', 'day') }}
        end as days_to_convert,
        -- A converted lead's opportunity counts while it is live (not deleted).
        coalesce(leads.is_converted and opportunities.opportunity_id is not null, false)
            as has_opportunity,
        opportunities.owner_id != leads.owner_id as is_handed_off,
        opportunities.amount as opportunity_amount,
        coalesce(opportunities.is_won, false) as is_opportunity_won
    from leads
    left join follow_ups
        on leads.lead_id = follow_ups.lead_id
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    where leads.owner_id is not null
),

monthly as (
    select
        rep_id,
        month_start,
        count(*) as leads_created,
        count(case when is_followed_up then lead_id end) as leads_followed_up,
        count(case when is_converted then lead_id end) as leads_converted,
        -- Whole days add up exactly: the mean does not depend on summation order.
        cast(sum(days_to_convert) as double) / count(days_to_convert) as avg_days_to_convert,
        count(case when has_opportunity then lead_id end) as converted_opportunities,
        count(case when has_opportunity and is_handed_off then lead_id end)
            as handed_off_opportunities,
        coalesce(sum(case when has_opportunity then opportunity_amount end), 0)
            as converted_pipeline_amount,
        count(case when has_opportunity and is_opportunity_won then lead_id end)
            as converted_won_count,
        coalesce(
            sum(case when has_opportunity and is_opportunity_won then opportunity_amount end), 0
        ) as converted_won_amount
    from lead_outcomes
    group by 1, 2
)

select
    rep_id,
    month_start,
    leads_created,
    leads_followed_up,
    leads_converted,
    avg_days_to_convert,
    converted_opportunities,
    handed_off_opportunities,
    cast(converted_pipeline_amount as decimal(18, 2)) as converted_pipeline_amount,
    converted_won_count,
    cast(converted_won_amount as decimal(18, 2)) as converted_won_amount,
    {{ safe_divide('converted_opportunities', 'leads_created') }} as lead_to_opportunity_rate,
    {{ safe_divide('converted_won_count', 'leads_created') }} as lead_to_win_rate
from monthly
