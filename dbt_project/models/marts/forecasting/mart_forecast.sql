with

opportunity_states as (
    select * from {{ ref('int_opportunity_state_as_of') }}
),

states as (
    select
        owner_id as rep_id,
        {{ fiscal_quarter_start('close_date') }} as quarter_start,
        opportunity_id,
        forecast_category,
        is_won,
        is_closed,
        coalesce(amount, 0) as amount,
        probability
    from opportunity_states
),

forecasts as (
    select
        rep_id,
        quarter_start,
        {{ forecast_category_sums() }},
        coalesce(
            -- Exact decimal products and sum: the result does not depend on summation order.
            sum(
                case
                    when not is_closed then amount * cast(probability as decimal(9, 4))
                end
            ) / 100,
            0
        ) as weighted_open_amount
    from states
    group by 1, 2
)

select
    rep_id,
    quarter_start,
    cast(closed_won_amount as decimal(18, 2)) as closed_won_amount,
    cast(commit_amount as decimal(18, 2)) as commit_amount,
    cast(most_likely_amount as decimal(18, 2)) as most_likely_amount,
    cast(best_case_amount as decimal(18, 2)) as best_case_amount,
    cast(pipeline_amount as decimal(18, 2)) as pipeline_amount,
    cast(omitted_amount as decimal(18, 2)) as omitted_amount,
    open_opportunity_count,
    {{ round_money('weighted_open_amount') }} as weighted_open_amount,
    cast({{ forecast_commit_amount() }} as decimal(18, 2)) as forecast_commit_amount,
    cast({{ forecast_best_case_amount() }} as decimal(18, 2)) as forecast_best_case_amount
from forecasts
