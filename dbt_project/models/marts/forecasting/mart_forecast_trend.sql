with

snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
),

snapshot_days as (
    select * from {{ ref('int_forecast_snapshot_days') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

quotas as (
    select * from {{ ref('stg_sales_ops__quotas') }}
),

states as (
    select
        owner_id as rep_id,
        quarter_start,
        week_of_quarter,
        opportunity_id,
        forecast_category,
        is_won,
        is_closed,
        coalesce(amount, 0) as amount
    from snapshots
),

forecasts as (
    select
        rep_id,
        quarter_start,
        week_of_quarter,
        {{ forecast_category_sums() }},
        coalesce(
            sum(
                case
                    when not is_closed and coalesce(forecast_category, '') != 'Omitted'
                        then amount
                end
            ),
            0
        ) as open_pipeline_amount
    from states
    group by 1, 2, 3
),

-- Owners with an opportunity in the quarter at any of its snapshots.
rep_quarters as (
    select distinct
        rep_id,
        quarter_start
    from forecasts
),

-- Every snapshot week of the quarter for each of them.
rep_weeks as (
    select
        rep_quarters.rep_id,
        snapshot_days.quarter_start,
        snapshot_days.quarter_end,
        snapshot_days.week_of_quarter,
        snapshot_days.snapshot_date
    from rep_quarters
    inner join snapshot_days
        on rep_quarters.quarter_start = snapshot_days.quarter_start
),

rep_quarter_ends as (
    select distinct
        rep_id,
        quarter_start,
        quarter_end
    from rep_weeks
),

quarter_quotas as (
    select
        reps.rep_id,
        rep_quarter_ends.quarter_start,
        sum(quotas.quota_amount) as quota_amount
    from rep_quarter_ends
    inner join reps
        on rep_quarter_ends.rep_id = reps.rep_id
    inner join quotas
        on
            reps.employee_id = quotas.employee_id
            and quotas.month_start
            between rep_quarter_ends.quarter_start and rep_quarter_ends.quarter_end
    group by 1, 2
),

weekly as (
    select
        rep_weeks.rep_id,
        rep_weeks.quarter_start,
        rep_weeks.quarter_end,
        rep_weeks.week_of_quarter,
        rep_weeks.snapshot_date,
        coalesce(forecasts.closed_won_amount, 0) as closed_won_amount,
        coalesce(forecasts.commit_amount, 0) as commit_amount,
        coalesce(forecasts.most_likely_amount, 0) as most_likely_amount,
        coalesce(forecasts.best_case_amount, 0) as best_case_amount,
        coalesce(forecasts.pipeline_amount, 0) as pipeline_amount,
        coalesce(forecasts.omitted_amount, 0) as omitted_amount,
        coalesce(forecasts.open_opportunity_count, 0) as open_opportunity_count,
        coalesce(forecasts.open_pipeline_amount, 0) as open_pipeline_amount,
        quarter_quotas.quota_amount
    from rep_weeks
    left join forecasts
        on
            rep_weeks.rep_id = forecasts.rep_id
            and rep_weeks.quarter_start = forecasts.quarter_start
            and rep_weeks.week_of_quarter = forecasts.week_of_quarter
    left join quarter_quotas
        on
            rep_weeks.rep_id = quarter_quotas.rep_id
            and rep_weeks.quarter_start = quarter_quotas.quarter_start
),

-- What the quarter closed at: week 13, once the quarter's last day is on or before the as-of
-- date (week 13 exists only then).
finals as (
    select
        rep_id,
        quarter_start,
        closed_won_amount as final_won_amount
    from weekly
    where week_of_quarter = 13
),

trend as (
    select
        weekly.*,
        {{ forecast_commit_amount() }} as forecast_commit_amount,
        {{ forecast_best_case_amount() }} as forecast_best_case_amount,
        finals.final_won_amount
    from weekly
    left join finals
        on
            weekly.rep_id = finals.rep_id
            and weekly.quarter_start = finals.quarter_start
)

select
    rep_id,
    quarter_start,
    week_of_quarter,
    snapshot_date,
    cast(closed_won_amount as decimal(18, 2)) as closed_won_amount,
    cast(commit_amount as decimal(18, 2)) as commit_amount,
    cast(most_likely_amount as decimal(18, 2)) as most_likely_amount,
    cast(best_case_amount as decimal(18, 2)) as best_case_amount,
    cast(pipeline_amount as decimal(18, 2)) as pipeline_amount,
    open_opportunity_count,
    cast(forecast_commit_amount as decimal(18, 2)) as forecast_commit_amount,
    cast(forecast_best_case_amount as decimal(18, 2)) as forecast_best_case_amount,
    cast(open_pipeline_amount as decimal(18, 2)) as open_pipeline_amount,
    cast(quota_amount as decimal(18, 2)) as quota_amount,
    case
        when quota_amount - closed_won_amount > 0
            then {{ safe_divide('open_pipeline_amount', 'quota_amount - closed_won_amount') }}
    end as pipeline_coverage_ratio,
    cast(final_won_amount as decimal(18, 2)) as final_won_amount,
    cast(forecast_commit_amount - final_won_amount as decimal(18, 2)) as commit_error_amount,
    {{ safe_divide('forecast_commit_amount - final_won_amount', 'final_won_amount') }}
        as commit_error_ratio
from trend
