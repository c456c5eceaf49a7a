-- One row per live opportunity and credited rep: its revenue splits (a rep's split rows summed),
-- or 100 % to the owner when it has no split rows. Splits of deleted opportunities fall out by
-- the inner join to the live opportunities.
with

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

splits as (
    select * from {{ ref('stg_salesforce__opportunity_splits') }}
),

split_credits as (
    select
        opportunities.opportunity_id,
        splits.split_owner_id as rep_id,
        opportunities.amount,
        opportunities.close_date,
        opportunities.is_won,
        sum(splits.split_percentage) as split_percentage,
        true as is_split
    from opportunities
    inner join splits
        on opportunities.opportunity_id = splits.opportunity_id
    group by 1, 2, 3, 4, 5
),

split_opportunities as (
    select distinct opportunity_id
    from split_credits
),

owner_credits as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id as rep_id,
        opportunities.amount,
        opportunities.close_date,
        opportunities.is_won,
        100 as split_percentage,
        false as is_split
    from opportunities
    left join split_opportunities
        on opportunities.opportunity_id = split_opportunities.opportunity_id
    where split_opportunities.opportunity_id is null
),

credits as (
    select * from split_credits
    union all
    select * from owner_credits
)

select
    opportunity_id,
    rep_id,
    cast(split_percentage as double) as split_percentage,
    {{ round_money('amount * split_percentage / 100') }} as credited_amount,
    is_split,
    close_date,
    is_won
from credits
