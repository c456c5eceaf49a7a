-- One row per employee and fiscal quarter of int_commission_earnings (not locked, with a plan or
-- an adjustment): the draw paid, the draw recovered and the draw balance at the quarter's end.
-- Per employee, quarters in order: a quarter with a draw D > 0 pays draw_amount = max(0, D -
-- earned_amount), which a recoverable draw adds to the balance; every quarter recovers
-- min(balance at its start, max(0, earned_amount - D)) (D = 0 without a draw). The balance
-- starts at 0, or at the draw_balance of the employee's latest locked statement before the
-- quarter (a locked quarter's balance is the locked one). Since a quarter either adds (earned <
-- D) or recovers (earned > D), the balance is a running sum reflected at 0: with S the running
-- sum of added - recoverable over the open quarters after the last lock L and b_L the locked
-- balance, balance_t = S_t + max(b_L, -min over L < k <= t of S_k): window functions, no
-- recursion.
with

earnings as (
    select * from {{ ref('int_commission_earnings') }}
),

locked_statements as (
    select * from {{ ref('stg_ledger__statements') }}
),

last_locks as (
    select
        earnings.employee_id,
        earnings.quarter_start,
        max(locked_statements.quarter_start) as locked_quarter_start
    from earnings
    inner join locked_statements
        on
            earnings.employee_id = locked_statements.employee_id
            and earnings.quarter_start > locked_statements.quarter_start
    group by 1, 2
),

quarter_draws as (
    select
        earnings.employee_id,
        earnings.quarter_start,
        last_locks.locked_quarter_start,
        coalesce(locked_statements.draw_balance, 0) as locked_balance,
        coalesce(earnings.quarterly_draw_amount, 0) as draw_target,
        earnings.draw_type,
        earnings.earned_amount,
        case
            when coalesce(earnings.quarterly_draw_amount, 0) > 0
                then greatest(earnings.quarterly_draw_amount - earnings.earned_amount, 0)
            else 0
        end as draw_amount
    from earnings
    left join last_locks
        on
            earnings.employee_id = last_locks.employee_id
            and earnings.quarter_start = last_locks.quarter_start
    left join locked_statements
        on
            last_locks.employee_id = locked_statements.employee_id
            and last_locks.locked_quarter_start = locked_statements.quarter_start
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
            partition by employee_id, locked_quarter_start
            order by quarter_start
            rows between unbounded preceding and current row
        ) as running_sum
    from movements
),

balances as (
    select
        *,
        running_sum + greatest(
            locked_balance,
            -min(running_sum) over (
                partition by employee_id, locked_quarter_start
                order by quarter_start
                rows between unbounded preceding and current row
            )
        ) as draw_balance
    from running_sums
),

recoveries as (
    select
        *,
        coalesce(
            lag(draw_balance) over (
                partition by employee_id, locked_quarter_start order by quarter_start
            ),
            locked_balance
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
