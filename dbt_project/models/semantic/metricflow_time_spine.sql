-- One row per day, the calendar MetricFlow joins to for cumulative metrics and fiscal quarters.
-- Bounded: from 2000-01-01 (before any hire date a rep ramp or headcount can carry) to two years
-- after the as-of date (open opportunities close up to a few quarters ahead).
with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('2000-01-01' as date)",
        dbt.dateadd('year', 3, dbt.date_trunc('year', as_of_date())),
    ) }}
)

select
    cast(date_day as date) as date_day,
    {{ fiscal_quarter_start('date_day') }} as fiscal_quarter_start
from days
