-- One row per activity: closed tasks at their completion time and meetings that started
-- on or before the as-of date (end of day), each with its activity time.
with

tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
),

closed_tasks as (
    select
        task_id as activity_id,
        'task' as activity_source,
        case task_subtype
            when 'Call' then 'call'
            when 'Email' then 'email'
            else 'other_task'
        end as activity_type,
        owner_id,
        who_id,
        what_id,
        coalesce(completed_at, created_at) as activity_at
    from tasks
    where is_closed
),

held_meetings as (
    select
        event_id as activity_id,
        'event' as activity_source,
        'meeting' as activity_type,
        owner_id,
        who_id,
        what_id,
        start_at as activity_at
    from events
    where start_at < {{ as_of_day_end() }}
),

activities as (
    select * from closed_tasks
    union all
    select * from held_meetings
)

select
    activity_id,
    activity_source,
    activity_type,
    owner_id,
    who_id,
    what_id,
    activity_at
from activities
