-- One row per employee and fiscal quarter with a plan: the draw paid, the draw recovered and the
-- draw balance at the quarter's end. Per employee, quarters in order, the balance starts at 0:
-- a quarter with a draw D > 0 pays draw_amount = max(0, D - earned_amount), which a recoverable
-- draw adds to the balance; every quarter recovers min(balance at its start, max(0, earned_amount
-- - D)) (D = 0 without a draw). Since a quarter either adds (earned < D) or recovers (earned > D),
-- the balance is a running sum reflected at 0: balance_t = max(0, balance_t-1 + added_t -
-- recoverable_t), which is S_t - min(0, min over k <= t of S_k) for the running sum S of added -
-- recoverable: window functions, no recursion.
with

earnings as (
    select * from {{ ref('int_commission_earnings') }}
),

quarter_draws as (
    select
        employee_id,
        quarter_start,
        coalesce(quarterly_draw_amount, 0) as draw_target,
        draw_type,
        earned_amount,
        case
            when coalesce(quarterly_draw_amount, 0) > 0
                then greatest(quarterly_draw_amount - earned_amount, 0)
            else 0
        end as draw_amount
    from earnings
),

movements as (
    select
        *,
        case when draw_type = 'recoverable' then draw_amount else 0 end as draw_added,
        greatest(earned_amount - draw_target, 0) as recoverable_amount
    from quarter_draws
),

running_sums as (
    select
        *,
        sum(draw_added - recoverable_amount) over (
            partition by employee_id
            order by quarter_start
            rows between unbounded preceding and current row
        ) as running_sum
    from movements
),

balances as (
    select
        *,
        running_sum - least(
            min(running_sum) over (
                partition by employee_id
                order by quarter_start
                rows between unbounded preceding and current row
            ),
            0
        ) as draw_balance
    from running_sums
),

recoveries as (
    select
        *,
        coalesce(
            lag(draw_balance) over (partition by employee_id order by quarter_start), 0
        ) as opening_balance
    from balances
)

select
    employee_id,
    quarter_start,
    cast(draw_target as decimal(18, 2)) as quarterly_draw_amount,
    draw_type,
    cast(opening_balance as decimal(18, 2)) as opening_draw_balance,
    cast(draw_amount as decimal(18, 2)) as draw_amount,
    cast(opening_balance + draw_added - draw_balance as decimal(18, 2)) as draw_recovery_amount,
    cast(draw_balance as decimal(18, 2)) as draw_balance
from recoveries
