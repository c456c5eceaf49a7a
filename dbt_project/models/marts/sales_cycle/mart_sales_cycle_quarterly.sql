with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

closed_by_quarter as (
    select
        owner_id as rep_id,
        {{ fiscal_quarter_start('close_date') }} as quarter_start,
        count(case when is_won then opportunity_id end) as won_count,
        count(case when not is_won then opportunity_id end) as lost_count,
        coalesce(sum(case when is_won then amount end), 0) as won_amount,
        avg(case when is_won then sales_cycle_days end) as avg_sales_cycle_days
    from opportunities
    where is_closed
    group by 1, 2
),

ratios as (
    select
        rep_id,
        quarter_start,
        won_count,
        lost_count,
        cast(won_amount as decimal(18, 2)) as won_amount,
        {{ win_rate('won_count', 'lost_count') }} as win_rate,
        {{ average_deal_size('won_amount', 'won_count') }} as average_deal_size,
        cast(avg_sales_cycle_days as double) as avg_sales_cycle_days
    from closed_by_quarter
)

select
    rep_id,
    quarter_start,
    won_count,
    lost_count,
    won_amount,
    win_rate,
    average_deal_size,
    avg_sales_cycle_days,
    cast({{ round_money(safe_divide(
        '(won_count + lost_count) * average_deal_size * win_rate',
        'avg_sales_cycle_days',
    )) }} as double) as pipeline_velocity_per_day
from ratios
