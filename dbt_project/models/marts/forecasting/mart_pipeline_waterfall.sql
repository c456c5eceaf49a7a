with

movements as (
    select * from {{ ref('int_pipeline_movements') }}
),

waterfall as (
    select
        owner_id as rep_id,
        quarter_start,
        period_end_date,
        {{ waterfall_bucket('opening', 'entry', 'start_amount') }},
        {{ waterfall_bucket('created', 'entry', 'end_amount') }},
        {{ waterfall_bucket('pulled_in', 'entry', 'end_amount') }},
        {{ waterfall_bucket('pushed_out', 'outcome', 'start_amount') }},
        {{ waterfall_bucket('won', 'outcome', 'end_amount') }},
        {{ waterfall_bucket('lost', 'outcome', 'end_amount') }},
        {{ waterfall_bucket('closing', 'outcome', 'end_amount') }},
        sum(amount_change_amount) as amount_change_amount
    from movements
    group by 1, 2, 3
)

select
    rep_id,
    quarter_start,
    period_end_date,
    opening_count,
    cast(opening_amount as decimal(18, 2)) as opening_amount,
    created_count,
    cast(created_amount as decimal(18, 2)) as created_amount,
    pulled_in_count,
    cast(pulled_in_amount as decimal(18, 2)) as pulled_in_amount,
    pushed_out_count,
    cast(pushed_out_amount as decimal(18, 2)) as pushed_out_amount,
    won_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    lost_count,
    cast(lost_amount as decimal(18, 2)) as lost_amount,
    closing_count,
    cast(closing_amount as decimal(18, 2)) as closing_amount,
    cast(amount_change_amount as decimal(18, 2)) as amount_change_amount
from waterfall
