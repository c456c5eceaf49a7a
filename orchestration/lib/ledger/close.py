"""Period close: lock the quarters this run closes, then publish.

Order, from the contract's rule that a published statement of a locked quarter always equals
the ledger, and that a run that does not publish locks nothing:

1. Only after every blocking check of the run passed (the ``publish`` asset's gate), the
   quarters that close in this run (``int_commission_periods.is_locked_by_this_run``) are
   written to the ledger in one transaction: their statements, lines and adjustments exactly as
   the warehouse's marts hold them.
2. Then the BI file is published, with those statements' lock columns (locked_at,
   locked_as_of_date, ledger_hash) filled from the ledger.

Killed before 1 commits: nothing is locked and the BI file is the previous one. Killed between
1 and 2: the ledger holds the lock and the BI file is the previous night's, in which no row
claims the quarter is locked; the next run reads the lock from the ledger (``payout_ledger``)
and publishes exactly the ledger's rows, so it converges. The other order would let a
published row say "locked" with no lock behind it if the run died before writing the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.lib.ledger.store import Lock, append_lock, ensure_ledger
from orchestration.lib.publish.bi_file import publish_marts
from spm_common.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA
from spm_common.sql import sql_literal


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def pending_lock(warehouse: Path, as_of: date, run_id: str, now: datetime) -> Lock | None:
    """What this run locks if it publishes: the quarters the models say close now, with their
    statements, lines and adjustments as the marts hold them; None when nothing closes."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarters = {
            row["quarter_start"]: row["close_date"]
            for row in _rows(
                con,
                f"select quarter_start, close_date from {INTERMEDIATE_SCHEMA}."
                "int_commission_periods where is_locked_by_this_run",
            )
        }
        if not quarters:
            return None
        listed = ", ".join(sql_literal(q.isoformat()) for q in quarters)
        where = f"where quarter_start in ({listed})"
        return Lock(
            quarters=quarters,
            statements=_rows(
                con, f"select * from {MARTS_SCHEMA}.mart_commission_statements {where}"
            ),
            lines=_rows(con, f"select * from {MARTS_SCHEMA}.fct_commission_lines {where}"),
            adjustments=_rows(
                con, f"select * from {MARTS_SCHEMA}.fct_commission_adjustments {where}"
            ),
            line_tiers=_rows(
                con, f"select * from {MARTS_SCHEMA}.fct_commission_line_tiers {where}"
            ),
            statement_tiers=_rows(
                con, f"select * from {MARTS_SCHEMA}.mart_commission_statement_tiers {where}"
            ),
            locked_at=now,
            locked_as_of_date=as_of,
            run_id=run_id,
        )


def overlay_locks(con: duckdb.DuckDBPyConnection, ledger: Path) -> None:
    """In the BI file being published: the lock columns of statements the ledger holds but the
    marts computed as open (this run's locks), and their adjustments marked locked."""
    con.execute(f"attach {sql_literal(str(ledger))} as payout_ledger (read_only)")
    try:
        con.execute(
            f"""
            update {MARTS_SCHEMA}.mart_commission_statements as s
            set is_locked = true, locked_at = l.locked_at,
                locked_as_of_date = l.locked_as_of_date, ledger_hash = l.ledger_hash,
                locked_by_run_id = l.run_id
            from payout_ledger.main.statements as l
            where s.employee_id = l.employee_id and s.quarter_start = l.quarter_start
                and not s.is_locked
            """
        )
        con.execute(
            f"""
            update {MARTS_SCHEMA}.fct_commission_adjustments
            set is_locked = true
            where not is_locked
                and quarter_start in (select quarter_start from payout_ledger.main.locks)
            """
        )
    finally:
        con.execute("detach payout_ledger")


def lock_and_publish(
    warehouse: Path,
    bi_database: Path,
    ledger: Path,
    as_of: date,
    run_id: str,
    memory_limit: str = "1GB",
) -> tuple[dict[str, int], Lock | None]:
    """Lock what closes in this run, then publish (the order is the module docstring's)."""
    lock = pending_lock(warehouse, as_of, run_id, datetime.now(UTC).replace(tzinfo=None))
    if lock is not None:
        append_lock(ledger, lock)
    ensure_ledger(ledger)
    counts = publish_marts(
        warehouse, bi_database, memory_limit, finish=lambda con: overlay_locks(con, ledger)
    )
    return counts, lock
