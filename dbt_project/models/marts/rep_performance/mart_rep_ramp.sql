with

reps as (
    select * from {{ ref('int_reps') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

attainment as (
    select * from {{ ref('int_rep_quarter_attainment') }}
),

hired as (
    select
        rep_id,
        employee_id,
        hire_date,
        {{ fiscal_quarter_start('hire_date') }} as hire_quarter_start
    from reps
    where hire_date <= {{ as_of_date() }}
),

first_opportunities as (
    select
        owner_id as rep_id,
        min(created_date) as first_opportunity_date
    from opportunities
    group by 1
),

first_wins as (
    select
        rep_id,
        min(close_date) as first_won_date
    from credits
    where is_won
    group by 1
),

-- The first quarter from the hire quarter to the as-of quarter at or above the threshold;
-- quarters without quota have no attainment and never count.
ramped as (
    select
        hired.rep_id,
        min(attainment.quarter_start) as ramped_quarter_start
    from hired
    inner join attainment
        on hired.rep_id = attainment.rep_id
    where
        attainment.quarter_start >= hired.hire_quarter_start
        and attainment.quarter_start <= {{ fiscal_quarter_start(as_of_date()) }}
        and attainment.quota_attainment_rate >= {{ var('ramp_attainment_threshold') }}
    group by 1
)

select
    hired.rep_id,
    hired.employee_id,
    hired.hire_date,
    hired.hire_quarter_start,
    first_opportunities.first_opportunity_date,
    first_wins.first_won_date,
    cast(
        {{ dbt.datediff('hired.hire_date', 'first_opportunities.first_opportunity_date', 'day') }}
        as integer
    ) as days_to_first_opportunity,
    cast(
        {{ dbt.datediff('hired.hire_date', 'first_wins.first_won_date', 'day') }}
        as integer
    ) as days_to_first_win,
    ramped.ramped_quarter_start,
    cast(
        {{ dbt.datediff('hired.hire_quarter_start', 'ramped.ramped_quarter_start', 'month') }} -- noqa: LT05
        / 3 + 1 as integer
    ) as quarters_to_ramp,
    {%- set ramped_quarter_end = fiscal_quarter_end('ramped.ramped_quarter_start') %}
    cast(
        {{ dbt.datediff('hired.hire_date', ramped_quarter_end, 'day') }} as integer -- noqa: LT05
    ) as days_to_ramp,
    ramped.ramped_quarter_start is not null as is_ramped
from hired
left join first_opportunities
    on hired.rep_id = first_opportunities.rep_id
left join first_wins
    on hired.rep_id = first_wins.rep_id
left join ramped
    on hired.rep_id = ramped.rep_id
