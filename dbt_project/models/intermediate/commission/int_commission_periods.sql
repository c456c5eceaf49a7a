-- One row per fiscal quarter up to the as-of quarter that is locked in the payout ledger or has
-- a close date: whether it was locked at the start of this run, and whether this run locks it
-- (not locked yet, its close date on or before the as-of date, and the quarter over before the
-- as-of date). A lock is permanent: a later change or removal of its comp_periods row changes
-- nothing (is_close_date_changed flags it for the warning check).
with

periods as (
    select * from {{ ref('stg_sales_ops__comp_periods') }}
),

locks as (
    select * from {{ ref('stg_ledger__locks') }}
),

quarters as (
    {{ fiscal_quarters_up_to_as_of(400) }}
),

known as (
    select quarter_start from periods
    union
    select quarter_start from locks
)

select
    quarters.quarter_start,
    quarters.quarter_end,
    periods.close_date,
    locks.quarter_start is not null as is_locked,
    locks.locked_at,
    locks.locked_as_of_date,
    locks.run_id as locked_by_run_id,
    locks.close_date as locked_close_date,
    coalesce(
        locks.quarter_start is null
        and periods.close_date <= {{ as_of_date() }}
        and quarters.quarter_end < {{ as_of_date() }},
        false
    ) as is_locked_by_this_run,
    coalesce(
        locks.quarter_start is not null
        and (periods.close_date is null or periods.close_date != locks.close_date),
        false
    ) as is_close_date_changed
from quarters
inner join known
    on quarters.quarter_start = known.quarter_start
left join periods
    on quarters.quarter_start = periods.quarter_start
left join locks
    on quarters.quarter_start = locks.quarter_start
