-- One row per employee, paying quarter and adjusted (locked) quarter: the difference between a
-- locked quarter's commission recomputed from the current data and what was locked for it, net
-- of adjustments already locked, paid in the next open quarter. In a locked paying quarter the
-- rows are the ledger's.
with

computed as (
    select * from {{ ref('int_commission_adjustments') }}
),

locked as (
    select * from {{ ref('stg_ledger__adjustments') }}
),

adjustments as (
    select
        employee_id,
        rep_id,
        quarter_start,
        adjusted_quarter_start,
        locked_amount,
        recomputed_amount,
        previously_adjusted_amount,
        adjustment_amount,
        false as is_locked
    from computed
    union all
    select
        employee_id,
        rep_id,
        quarter_start,
        adjusted_quarter_start,
        locked_amount,
        recomputed_amount,
        previously_adjusted_amount,
        adjustment_amount,
        true as is_locked
    from locked
)

select
    employee_id,
    rep_id,
    quarter_start,
    adjusted_quarter_start,
    locked_amount,
    recomputed_amount,
    previously_adjusted_amount,
    adjustment_amount,
    is_locked
from adjustments
