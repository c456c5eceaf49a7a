-- One row per employee, locked quarter, opportunity, line type and SPIFF program where a locked
-- line's commission differs from its recomputation from the current data, or the line exists on
-- one side only: the deal-level changes behind the adjustments of the open quarters.
with

locked_lines as (
    select * from {{ ref('stg_ledger__lines') }}
),

booking_lines as (
    select * from {{ ref('int_commission_booking_lines') }}
    where scenario_id = {{ actual_terms() }}
),

clawback_lines as (
    select * from {{ ref('int_commission_clawback_lines') }}
    where scenario_id = {{ actual_terms() }}
),

spiff_lines as (
    select * from {{ ref('int_commission_spiff_lines') }}
),

periods as (
    select * from {{ ref('int_commission_periods') }}
),

recomputed_lines as (
    select
        employee_id,
        quarter_start,
        opportunity_id,
        line_type,
        cast(null as {{ dbt.type_string() }}) as spiff_id,
        commission_amount
    from booking_lines
    union all
    select
        employee_id,
        quarter_start,
        opportunity_id,
        line_type,
        cast(null as {{ dbt.type_string() }}) as spiff_id,
        commission_amount
    from clawback_lines
    union all
    select
        employee_id,
        quarter_start,
        opportunity_id,
        line_type,
        spiff_id,
        commission_amount
    from spiff_lines
),

recomputed_in_locked_quarters as (
    select recomputed_lines.*
    from recomputed_lines
    inner join periods
        on recomputed_lines.quarter_start = periods.quarter_start
    where periods.is_locked
),

compared as (
    select
        coalesce(locked_lines.employee_id, recomputed.employee_id) as employee_id,
        coalesce(locked_lines.quarter_start, recomputed.quarter_start) as adjusted_quarter_start,
        coalesce(locked_lines.opportunity_id, recomputed.opportunity_id) as opportunity_id,
        coalesce(locked_lines.line_type, recomputed.line_type) as line_type,
        coalesce(locked_lines.spiff_id, recomputed.spiff_id) as spiff_id,
        locked_lines.commission_amount as locked_commission_amount,
        recomputed.commission_amount as recomputed_commission_amount
    from locked_lines
    full outer join recomputed_in_locked_quarters as recomputed
        on
            locked_lines.employee_id = recomputed.employee_id
            and locked_lines.quarter_start = recomputed.quarter_start
            and locked_lines.opportunity_id = recomputed.opportunity_id
            and locked_lines.line_type = recomputed.line_type
            and coalesce(locked_lines.spiff_id, '') = coalesce(recomputed.spiff_id, '')
)

select
    -- The grain as one key: spiff_id is NULL on booking and clawback lines.
    concat_ws(
        '|',
        employee_id,
        cast(adjusted_quarter_start as {{ dbt.type_string() }}),
        opportunity_id,
        line_type,
        coalesce(spiff_id, '')
    ) as line_change_key,
    employee_id,
    adjusted_quarter_start,
    opportunity_id,
    line_type,
    spiff_id,
    locked_commission_amount,
    recomputed_commission_amount,
    cast(
        coalesce(recomputed_commission_amount, 0) - coalesce(locked_commission_amount, 0)
        as decimal(18, 2)
    ) as difference
from compared
where
    locked_commission_amount is null
    or recomputed_commission_amount is null
    or locked_commission_amount != recomputed_commission_amount
