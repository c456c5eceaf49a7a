-- One row per employee, quarter that pays and locked quarter it adjusts, computed by this run:
-- for each employee and quarter Q locked at the start of the run, recomputed
-- quarter_commission_amount(Q) - locked quarter_commission_amount(Q) - the adjustments for Q
-- already locked (an employee without a locked or a recomputed statement in Q counts 0 for it);
-- where that is not 0 after rounding to cents, it is paid in the earliest quarter after Q that
-- is not locked (the quarter that pays next). The locked adjustments themselves are in the
-- ledger (stg_ledger__adjustments); fct_commission_adjustments publishes both.
with

periods as (
    select * from {{ ref('int_commission_periods') }}
),

quarter_commissions as (
    select * from {{ ref('int_commission_quarter_commissions') }}
),

locked_statements as (
    select * from {{ ref('stg_ledger__statements') }}
),

locked_adjustments as (
    select * from {{ ref('stg_ledger__adjustments') }}
),

quarters as (
    {{ fiscal_quarters_up_to_as_of(400) }}
),

locked_quarters as (
    select quarter_start from periods
    where is_locked
),

open_quarters as (
    select quarters.quarter_start
    from quarters
    left join locked_quarters
        on quarters.quarter_start = locked_quarters.quarter_start
    where locked_quarters.quarter_start is null
),

paying_quarters as (
    select
        locked_quarters.quarter_start as adjusted_quarter_start,
        min(open_quarters.quarter_start) as quarter_start
    from locked_quarters
    inner join open_quarters
        on locked_quarters.quarter_start < open_quarters.quarter_start
    group by 1
),

recomputed as (
    select
        quarter_commissions.employee_id,
        quarter_commissions.rep_id,
        quarter_commissions.quarter_start,
        quarter_commissions.quarter_commission_amount
    from quarter_commissions
    inner join locked_quarters
        on quarter_commissions.quarter_start = locked_quarters.quarter_start
),

previously_adjusted as (
    select
        employee_id,
        adjusted_quarter_start,
        sum(adjustment_amount) as adjustment_amount
    from locked_adjustments
    group by 1, 2
),

-- Every employee with a locked statement, a recomputed statement or a locked adjustment in a
-- locked quarter; a side without a statement counts 0.
statement_keys as (
    select
        employee_id,
        quarter_start
    from locked_statements
    union
    select
        employee_id,
        quarter_start
    from recomputed
    union
    select
        employee_id,
        adjusted_quarter_start as quarter_start
    from previously_adjusted
),

locked_adjustment_reps as (
    select
        employee_id,
        adjusted_quarter_start,
        max(rep_id) as rep_id
    from locked_adjustments
    group by 1, 2
),

sides as (
    select
        statement_keys.employee_id,
        coalesce(locked_statements.rep_id, recomputed.rep_id, locked_adjustment_reps.rep_id)
            as rep_id,
        statement_keys.quarter_start as adjusted_quarter_start,
        coalesce(locked_statements.quarter_commission_amount, 0) as locked_amount,
        coalesce(recomputed.quarter_commission_amount, 0) as recomputed_amount
    from statement_keys
    left join locked_statements
        on
            statement_keys.employee_id = locked_statements.employee_id
            and statement_keys.quarter_start = locked_statements.quarter_start
    left join recomputed
        on
            statement_keys.employee_id = recomputed.employee_id
            and statement_keys.quarter_start = recomputed.quarter_start
    left join locked_adjustment_reps
        on
            statement_keys.employee_id = locked_adjustment_reps.employee_id
            and statement_keys.quarter_start = locked_adjustment_reps.adjusted_quarter_start
),

adjustments as (
    select
        sides.employee_id,
        sides.rep_id,
        paying_quarters.quarter_start,
        sides.adjusted_quarter_start,
        sides.locked_amount,
        sides.recomputed_amount,
        coalesce(previously_adjusted.adjustment_amount, 0) as previously_adjusted_amount
    from sides
    inner join paying_quarters
        on sides.adjusted_quarter_start = paying_quarters.adjusted_quarter_start
    left join previously_adjusted
        on
            sides.employee_id = previously_adjusted.employee_id
            and sides.adjusted_quarter_start = previously_adjusted.adjusted_quarter_start
)

select
    employee_id,
    rep_id,
    quarter_start,
    adjusted_quarter_start,
    cast(locked_amount as decimal(18, 2)) as locked_amount,
    cast(recomputed_amount as decimal(18, 2)) as recomputed_amount,
    cast(previously_adjusted_amount as decimal(18, 2)) as previously_adjusted_amount,
    cast(
        recomputed_amount - locked_amount - previously_adjusted_amount as decimal(18, 2)
    ) as adjustment_amount
from adjustments
where round(recomputed_amount - locked_amount - previously_adjusted_amount, 2) != 0
