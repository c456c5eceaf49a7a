-- One row per employee, fiscal quarter, opportunity, line type and SPIFF program: the booking
-- lines that fill the tiers, the clawback lines that reverse them and the SPIFF lines, under the
-- actual plan terms, each naming the deal as the rep knows it (opportunity and account name).
with

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

opportunities as (
    select * from {{ ref('int_opportunities') }}
),

accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

spiffs as (
    select * from {{ ref('stg_sales_ops__spiffs') }}
),

periods as (
    select * from {{ ref('int_commission_periods') }}
),

locked_lines as (
    select * from {{ ref('stg_ledger__lines') }}
),

computed as (
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        cast(null as {{ dbt.type_string() }}) as spiff_id,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date
    from booking_lines
    union all
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        cast(null as {{ dbt.type_string() }}) as spiff_id,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date
    from clawback_lines
    union all
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        spiff_id,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date
    from spiff_lines
),

-- A locked quarter's lines are the ledger's; the others are computed from the current data.
open_lines as (
    select computed.*
    from computed
    left join periods
        on computed.quarter_start = periods.quarter_start
    where not coalesce(periods.is_locked, false)
),

lines as (
    select
        open_lines.*,
        opportunities.opportunity_name,
        accounts.account_name,
        spiffs.spiff_name
    from open_lines
    left join opportunities
        on open_lines.opportunity_id = opportunities.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join spiffs
        on open_lines.spiff_id = spiffs.spiff_id
    union all
    select
        employee_id,
        rep_id,
        quarter_start,
        opportunity_id,
        line_type,
        spiff_id,
        credited_amount,
        cumulative_before,
        cumulative_after,
        commission_amount,
        plan_id,
        won_date,
        event_date,
        opportunity_name,
        account_name,
        spiff_name
    from locked_lines
)

select
    -- The grain as one key: spiff_id is NULL on booking and clawback lines.
    concat_ws(
        '|',
        lines.employee_id,
        cast(lines.quarter_start as {{ dbt.type_string() }}),
        lines.opportunity_id,
        lines.line_type,
        coalesce(lines.spiff_id, '')
    ) as commission_line_key,
    lines.employee_id,
    lines.rep_id,
    lines.quarter_start,
    lines.opportunity_id,
    lines.line_type,
    lines.spiff_id,
    lines.credited_amount,
    lines.cumulative_before,
    lines.cumulative_after,
    lines.commission_amount,
    lines.plan_id,
    lines.won_date,
    lines.event_date,
    lines.opportunity_name,
    lines.account_name,
    lines.spiff_name
from lines
