-- The `turnover_quarters` fiscal quarters that end with the fiscal quarter of the as-of date.
with

quarter_numbers as (
    {{ dbt.generate_series(var('turnover_quarters') | int) }}
),

as_of_quarter as (
    select {{ fiscal_quarter_start(as_of_date()) }} as quarter_start
),

quarters as (
    select
        cast({{ dbt.dateadd(
            'month',
            '-3 * (quarter_numbers.generated_number - 1)',
            'as_of_quarter.quarter_start',
        ) }} as date) as quarter_start
    from quarter_numbers
    cross join as_of_quarter
)

select
    quarter_start,
    {{ fiscal_quarter_end('quarter_start') }} as quarter_end
from quarters
