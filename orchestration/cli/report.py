"""`python -m orchestration.cli.report`: where the BI database is, each published table's row
count, and where commission stands: the locked quarters and the adjustments the open quarters
pay (``make run`` ends with it)."""

import sys
from pathlib import Path

import duckdb

from orchestration.lib.publish.bi_file import published_counts
from spm_common.schemas import MARTS_SCHEMA
from spm_common.settings import BI_DATABASE_VARIABLE, env_path

STATEMENTS = f"{MARTS_SCHEMA}.mart_commission_statements"
ADJUSTMENTS = f"{MARTS_SCHEMA}.fct_commission_adjustments"


def period_close_lines(bi_database: Path) -> list[str]:
    """The locked quarters of the published statements, and the adjustments of locked quarters
    that open quarters pay (per paying quarter: rows, employees, net amount)."""
    with duckdb.connect(str(bi_database), read_only=True) as con:
        locked = con.execute(
            f"select count(distinct quarter_start), min(quarter_start), max(quarter_start), "
            f"max(locked_at) from {STATEMENTS} where is_locked"
        ).fetchone()
        paying = con.execute(
            f"""
            select a.quarter_start, count(*), count(distinct a.employee_id),
                sum(a.adjustment_amount)
            from {ADJUSTMENTS} as a
            where not exists (
                select 1 from {STATEMENTS} as s
                where s.quarter_start = a.quarter_start and s.is_locked
            )
            group by a.quarter_start
            order by a.quarter_start
            """
        ).fetchall()
    if not locked[0]:
        lines = ["Commission: no quarter locked yet (sales_ops/comp_periods close them)."]
    else:
        lines = [
            f"Commission: {locked[0]} quarters locked in the payout ledger ({locked[1]} to "
            f"{locked[2]}; last lock {locked[3]:%Y-%m-%d %H:%M} UTC)."
        ]
    for quarter, rows, employees, amount in paying:
        lines.append(
            f"  quarter {quarter} pays {rows} adjustment(s) of locked quarters to {employees} "
            f"employee(s), net {amount:+,.2f} (marts.fct_commission_adjustments)"
        )
    if locked[0] and not paying:
        lines.append("  no locked quarter changed since it was locked: no adjustment to pay")
    return lines


def main() -> int:
    path = env_path(BI_DATABASE_VARIABLE)
    if not path.exists():
        print(f"No BI database at {path}: nothing has been published yet.", file=sys.stderr)
        return 1
    counts = published_counts(path)
    print(f"BI database: {path}")
    width = max((len(t) for t, _ in counts), default=0) + len(MARTS_SCHEMA) + 1
    for table, count in counts:
        print(f"  {MARTS_SCHEMA}.{table:<{width - len(MARTS_SCHEMA) - 1}}  {count:>10,} rows")
    for line in period_close_lines(path):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
