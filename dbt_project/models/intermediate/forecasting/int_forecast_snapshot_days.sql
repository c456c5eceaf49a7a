-- The weekly snapshot days of the history window's quarters (contract: mart_forecast_trend):
-- week 0 is the day before the quarter, weeks 1-12 end on quarter_start + 7 x week - 1 days,
-- week 13 is the quarter's last day; only days on or before the as-of date.
with

quarters as (
    {{ fiscal_quarters_up_to_as_of(var('history_quarters') | int + 1) }}
),

week_numbers as (
    {{ dbt.generate_series(14) }}
),

snapshot_days as (
    select
        quarters.quarter_start,
        quarters.quarter_end,
        cast(week_numbers.generated_number - 1 as integer) as week_of_quarter,
        case
            when week_numbers.generated_number = 14 then quarters.quarter_end
            else cast(
                {{ dbt.dateadd(
                    'day',
                    '7 * (week_numbers.generated_number - 1) - 1',
                    'quarters.quarter_start',
                ) }} as date
            )
        end as snapshot_date
    from quarters
    cross join week_numbers
)

select
    quarter_start,
    quarter_end,
    week_of_quarter,
    snapshot_date
from snapshot_days
where snapshot_date <= {{ as_of_date() }}
