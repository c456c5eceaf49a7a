-- One row per live opportunity with its dates, sales cycle and touchpoints.
with

opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

activities as (
    select * from {{ ref('int_activities') }}
),

dated as (
    select
        *,
        cast(created_at as date) as created_date
    from opportunities
),

touchpoints as (
    select
        dated.opportunity_id,
        count(activities.activity_id) as touchpoints
    from dated
    inner join activities
        on dated.opportunity_id = activities.what_id
    where
        not dated.is_closed
        or cast(activities.activity_at as date) <= dated.close_date
    group by dated.opportunity_id
)

select
    dated.opportunity_id,
    dated.account_id,
    dated.owner_id,
    dated.opportunity_name,
    dated.created_at,
    dated.created_date,
    dated.close_date,
    dated.stage_name,
    dated.amount,
    dated.probability,
    dated.forecast_category_name,
    dated.is_closed,
    dated.is_won,
    dated.lead_source,
    dated.opportunity_type,
    dated.system_modstamp_at,
    case
        when dated.is_closed
            then {{ dbt.datediff('dated.created_date', 'dated.close_date', 'day') }}
    end as sales_cycle_days,
    coalesce(touchpoints.touchpoints, 0) as touchpoints
from dated
left join touchpoints
    on dated.opportunity_id = touchpoints.opportunity_id
