-- One row per stage stint of a live opportunity: a maximal run of consecutive history rows
-- (by created_at, then id) with the same stage, from its first row to the next stint's.
with

history as (
    select * from {{ ref('int_opportunity_history') }}
),

stage_changes as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        stage_order,
        is_closed_stage,
        is_won_stage,
        created_at,
        case
            when stage_name = lag(stage_name) over (
                partition by opportunity_id
                order by created_at, opportunity_history_id
            ) then 0
            else 1
        end as starts_stint
    from history
),

numbered_rows as (
    select
        opportunity_id,
        stage_name,
        stage_order,
        is_closed_stage,
        is_won_stage,
        created_at,
        sum(starts_stint) over (
            partition by opportunity_id
            order by created_at, opportunity_history_id
            rows between unbounded preceding and current row
        ) as stint_number
    from stage_changes
),

-- The stage's order and flags depend on stage_name only (one OpportunityStage per ApiName).
stints as (
    select
        opportunity_id,
        stint_number,
        stage_name,
        stage_order,
        is_closed_stage,
        is_won_stage,
        min(created_at) as entered_at
    from numbered_rows
    group by
        opportunity_id,
        stint_number,
        stage_name,
        stage_order,
        is_closed_stage,
        is_won_stage
),

bounded_stints as (
    select
        opportunity_id,
        stint_number,
        stage_name,
        stage_order,
        is_closed_stage,
        is_won_stage,
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
    bounded_stints.stage_order,
    bounded_stints.is_won_stage as is_won,
    {{ is_lost_stage('bounded_stints.is_closed_stage', 'bounded_stints.is_won_stage') }}
        as is_lost,
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
