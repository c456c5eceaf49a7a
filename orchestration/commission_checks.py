"""Trust checks on the commission engine, run after every dbt build.

- Every statement reconciles to its lines (blocking).
- The credits of every won deal add up to 100 % of its amount across reps (blocking).
- A statement without quota is reported by employee and quarter (warning).
- Lines with no statement to land on, e.g. a clawback in a quarter after the rep's plan ended
  (warning: sales ops settles those outside the quarterly statement).
"""

import dagster as dg
import duckdb

from orchestration.resources import SpmSettings

STATEMENTS = dg.AssetKey(["marts", "mart_commission_statements"])
LINES = dg.AssetKey(["marts", "fct_commission_lines"])
CREDITS = dg.AssetKey(["intermediate", "int_opportunity_credits"])
OPPORTUNITIES = dg.AssetKey(["intermediate", "int_opportunities"])
SAMPLE_SIZE = 20

# Amounts are rounded to cents line by line; sums of rounded lines must match to the cent.
STATEMENT_MISMATCHES = """
with lines as (
    select
        employee_id,
        quarter_start,
        coalesce(sum(case when line_type = 'booking' then commission_amount end), 0) as booked,
        coalesce(sum(case when line_type = 'clawback' then commission_amount end), 0) as clawed
    from marts.fct_commission_lines
    group by all
)
select
    s.employee_id,
    s.quarter_start,
    s.gross_commission,
    coalesce(l.booked, 0) as booking_lines,
    s.clawback_amount,
    coalesce(l.clawed, 0) as clawback_lines,
    s.capped_commission,
    s.payout_amount
from marts.mart_commission_statements as s
left join lines as l using (employee_id, quarter_start)
where s.gross_commission is distinct from coalesce(l.booked, 0)
    or s.clawback_amount is distinct from coalesce(l.clawed, 0)
    or s.payout_amount is distinct from s.capped_commission + s.clawback_amount
order by s.employee_id, s.quarter_start
"""

# Lines of a quarter without a statement would be paid to nobody.
ORPHAN_LINES = """
select l.employee_id, l.quarter_start, count(*) as lines
from marts.fct_commission_lines as l
anti join marts.mart_commission_statements as s using (employee_id, quarter_start)
group by all
order by all
"""

CREDIT_GAPS = """
select
    o.opportunity_id,
    o.amount,
    sum(c.split_percentage) as split_percentage_total,
    sum(c.credited_amount) as credited_total,
    count(c.rep_id) as credited_reps
from intermediate.int_opportunities as o
left join intermediate.int_opportunity_credits as c using (opportunity_id)
where o.is_won
group by o.opportunity_id, o.amount
having abs(coalesce(sum(c.split_percentage), 0) - 100) > 0.0001
    or abs(coalesce(sum(c.credited_amount), 0) - coalesce(o.amount, 0)) >= 0.01 * count(c.rep_id)
order by o.opportunity_id
"""

MISSING_QUOTA = """
select employee_id, rep_id, quarter_start, plan_id, quota_amount
from marts.mart_commission_statements
where quota_amount is null or quota_amount = 0
order by quarter_start, employee_id
"""


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


def markdown_table(columns: list[str], rows: list[tuple], limit: int = SAMPLE_SIZE) -> str:
    if not rows:
        return "none"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n{len(rows) - limit} more not shown")
    return "\n".join(lines)


@dg.asset_check(
    asset=STATEMENTS,
    additional_deps=[LINES],
    blocking=True,
    description=(
        "Each statement equals its lines: gross = sum of booking lines, clawback = sum of "
        "clawback lines, payout = capped + clawback."
    ),
)
def statements_reconcile_to_lines(settings: SpmSettings) -> dg.AssetCheckResult:
    with settings.connect_warehouse(read_only=True) as con:
        columns, mismatches = fetch(con, STATEMENT_MISMATCHES)
        checked = con.execute("select count(*) from marts.mart_commission_statements").fetchone()
    return dg.AssetCheckResult(
        passed=not mismatches,
        metadata={
            "statements_checked": checked[0],
            "mismatched_statements": len(mismatches),
            "mismatches": dg.MetadataValue.md(markdown_table(columns, mismatches)),
        },
    )


@dg.asset_check(
    asset=LINES,
    additional_deps=[STATEMENTS],
    description=(
        "Commission lines whose employee has no statement in the line's quarter (no plan then), "
        "such as a clawback after the rep left: not paid through a statement, settle by hand."
    ),
)
def lines_have_statements(settings: SpmSettings) -> dg.AssetCheckResult:
    with settings.connect_warehouse(read_only=True) as con:
        columns, orphans = fetch(con, ORPHAN_LINES)
    return dg.AssetCheckResult(
        passed=not orphans,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "employee_quarters_without_statement": len(orphans),
            "lines_without_statement": dg.MetadataValue.md(markdown_table(columns, orphans)),
        },
    )


@dg.asset_check(
    asset=LINES,
    additional_deps=[CREDITS, OPPORTUNITIES],
    blocking=True,
    description=(
        "The credits of every won opportunity sum to 100 % of its amount across reps; "
        "splits that do not sum to 100 are listed with the opportunity id."
    ),
)
def won_deal_credits_sum_to_amount(settings: SpmSettings) -> dg.AssetCheckResult:
    with settings.connect_warehouse(read_only=True) as con:
        columns, gaps = fetch(con, CREDIT_GAPS)
        won = con.execute("select count(*) from intermediate.int_opportunities where is_won")
        won_count = won.fetchone()[0]
    return dg.AssetCheckResult(
        passed=not gaps,
        metadata={
            "won_opportunities_checked": won_count,
            "opportunities_not_fully_credited": len(gaps),
            "opportunities": dg.MetadataValue.md(markdown_table(columns, gaps)),
        },
    )


@dg.asset_check(
    asset=STATEMENTS,
    description=(
        "Statements whose quarter has no quota (NULL or 0): base rate and attainment are NULL "
        "and commission is 0 until sales ops adds the quota."
    ),
)
def statements_have_quota(settings: SpmSettings) -> dg.AssetCheckResult:
    with settings.connect_warehouse(read_only=True) as con:
        columns, rows = fetch(con, MISSING_QUOTA)
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "statements_without_quota": len(rows),
            "employees_and_quarters": dg.MetadataValue.md(markdown_table(columns, rows)),
        },
    )


defs = dg.Definitions(
    asset_checks=[
        statements_reconcile_to_lines,
        lines_have_statements,
        won_deal_credits_sum_to_amount,
        statements_have_quota,
    ]
)
