-- One row per stage stint of a live opportunity: a maximal run of consecutive history rows
-- (by created_at, then id) with the same stage, from its first row to the next stint's.
with

history as (
    select * from {{ ref('stg_salesforce__opportunity_history') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

stages as (
    select * from {{ ref('stg_salesforce__opportunity_stages') }}
),

live_history as (
    select
        history.opportunity_history_id,
        history.opportunity_id,
        history.stage_name,
        history.created_at
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
),

stage_changes as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        created_at,
        case
            when stage_name = lag(stage_name) over (
                partition by opportunity_id
                order by created_at, opportunity_history_id
            ) then 0
            else 1
        end as starts_stint
    from live_history
),

numbered_rows as (
    select
        opportunity_id,
        stage_name,
        created_at,
        sum(starts_stint) over (
            partition by opportunity_id
            order by created_at, opportunity_history_id
            rows between unbounded preceding and current row
        ) as stint_number
    from stage_changes
),

stints as (
    select
        opportunity_id,
        stint_number,
        stage_name,
        min(created_at) as entered_at
    from numbered_rows
    group by
        opportunity_id,
        stint_number,
        stage_name
),

bounded_stints as (
    select
        opportunity_id,
        stint_number,
        stage_name,
        entered_at,
        lead(entered_at) over (
            partition by opportunity_id
            order by stint_number
        ) as exited_at,
        count(*) over (partition by opportunity_id) as stint_count
    from stints
)

select
    bounded_stints.opportunity_id,
    cast(bounded_stints.stint_number as bigint) as stint_number,
    bounded_stints.stage_name,
    stages.sort_order as stage_order,
    stages.is_won,
    {{ is_lost_stage('stages.is_closed', 'stages.is_won') }} as is_lost,
    bounded_stints.entered_at,
    bounded_stints.exited_at,
    {{ duration_milliseconds('bounded_stints.entered_at', 'bounded_stints.exited_at') }}
        as milliseconds_in_stage,
    cast(
        {{ duration_milliseconds('bounded_stints.entered_at', 'bounded_stints.exited_at') }}
        as double
    ) / {{ milliseconds_per('day') }} as days_in_stage,
    bounded_stints.stint_number = bounded_stints.stint_count as is_current
from bounded_stints
left join stages
    on bounded_stints.stage_name = stages.api_name
