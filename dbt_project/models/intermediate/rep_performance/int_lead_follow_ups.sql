-- One row per live lead with its first follow-up: the first activity with the lead (WhoId), at
-- or after the lead's creation, by anyone. Activities before the creation are ignored.
with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

activities as (
    select * from {{ ref('int_activities') }}
),

first_follow_ups as (
    select
        leads.lead_id,
        min(activities.activity_at) as first_follow_up_at
    from leads
    inner join activities
        on
            leads.lead_id = activities.who_id
            and leads.created_at <= activities.activity_at
    group by leads.lead_id
)

select
    leads.lead_id,
    leads.owner_id,
    leads.created_at,
    leads.is_converted,
    first_follow_ups.first_follow_up_at,
    {{ duration_milliseconds('leads.created_at', 'first_follow_ups.first_follow_up_at') }}
        as follow_up_milliseconds,
    cast(
        {{ duration_milliseconds('leads.created_at', 'first_follow_ups.first_follow_up_at') }}
        as double
    ) / {{ milliseconds_per('hour') }} as follow_up_hours
from leads
left join first_follow_ups
    on leads.lead_id = first_follow_ups.lead_id
