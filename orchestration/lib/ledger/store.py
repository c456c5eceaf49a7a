"""The payout ledger file (``SPM_LEDGER_DATABASE``): its tables, the chain check and the one
write, a lock.

Tables (schema ``main`` of the ledger file):

- ``locks``: one row per locked fiscal quarter - when, at which as-of date and by which run;
- ``statements``: the locked statements in lock order (``sequence``), each with the hash of the
  previous one and its own (``orchestration.lib.ledger.chain``);
- ``lines``: the locked ``fct_commission_lines`` rows of each locked statement;
- ``adjustments``: the ``fct_commission_adjustments`` rows paid in a locked quarter;
- ``line_tiers``, ``statement_tiers``: the locked statements' rows of ``fct_commission_line_tiers``
  and ``mart_commission_statement_tiers``, as published (shown on statements, not hashed).

Append-only: this module inserts and never updates or deletes (a test holds the project to it).
A lock is one transaction, so the file is always a committed whole: a run killed while writing
leaves the previous locks and nothing of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.lib.ledger.chain import (
    GENESIS,
    LINE_FIELDS,
    STATEMENT_FIELDS,
    Broken,
    UnmatchedLock,
    canonical_text,
    chain_hash,
    first_break,
)
from spm_common.schemas import LEDGER_SCHEMA
from spm_common.sql import sql_literal

MONEY = "decimal(18, 2)"
STATEMENT_TYPES = {
    "employee_id": "varchar not null",
    "rep_id": "varchar",
    "quarter_start": "date not null",
    "plan_id": "varchar",
    "quota_amount": MONEY,
    "target_incentive": MONEY,
    "base_rate": "double",
    "credited_bookings": MONEY,
    "attainment_rate": "double",
    "gross_commission": MONEY,
    "capped_commission": MONEY,
    "clawback_amount": MONEY,
    "spiff_amount": MONEY,
    "quarter_commission_amount": MONEY,
    "adjustment_amount": MONEY,
    "earned_amount": MONEY,
    "draw_amount": MONEY,
    "draw_recovery_amount": MONEY,
    "draw_balance": MONEY,
    "payout_amount": MONEY,
    "locked_at": "timestamp not null",
    "locked_as_of_date": "date not null",
    "run_id": "varchar not null",
}
# Shown on statements, not part of the hashed text.
STATEMENT_DISPLAY_TYPES = {
    "cap_amount": MONEY,
    "tier_method": "varchar",
    "quarterly_draw_amount": MONEY,
    "draw_type": "varchar",
    "opening_draw_balance": MONEY,
}
LINE_TYPES = {
    "employee_id": "varchar not null",
    "rep_id": "varchar",
    "quarter_start": "date not null",
    "opportunity_id": "varchar not null",
    "line_type": "varchar not null",
    "spiff_id": "varchar",
    "credited_amount": MONEY,
    "cumulative_before": MONEY,
    "cumulative_after": MONEY,
    "commission_amount": MONEY,
    # Shown on statements, not part of the hashed text.
    "plan_id": "varchar",
    "won_date": "date",
    "event_date": "date",
    "opportunity_name": "varchar",
    "account_name": "varchar",
    "spiff_name": "varchar",
}
# The tier tables of locked statements, as published (shown on statements, not hashed).
LINE_TIER_TYPES = {
    "employee_id": "varchar not null",
    "rep_id": "varchar",
    "quarter_start": "date not null",
    "opportunity_id": "varchar not null",
    "plan_id": "varchar",
    "tier_method": "varchar",
    "tier_number": "bigint",
    "floor_attainment": "double",
    "ceiling_attainment": "double",
    "rate_multiplier": "double",
    "tier_lower_amount": MONEY,
    "tier_upper_amount": MONEY,
    "tier_rate": "double",
    "amount_in_tier": MONEY,
    "commission_in_tier": MONEY,
}
STATEMENT_TIER_TYPES = {
    "employee_id": "varchar not null",
    "quarter_start": "date not null",
    "plan_id": "varchar",
    "plan_name": "varchar",
    "tier_method": "varchar",
    "tier_number": "bigint",
    "floor_attainment": "double",
    "ceiling_attainment": "double",
    "rate_multiplier": "double",
    "tier_lower_amount": MONEY,
    "tier_upper_amount": MONEY,
    "tier_rate": "double",
    "cap_multiple": "double",
    "clawback_days": "bigint",
}
ADJUSTMENT_TYPES = {
    "employee_id": "varchar not null",
    "rep_id": "varchar",
    "quarter_start": "date not null",
    "adjusted_quarter_start": "date not null",
    "locked_amount": MONEY,
    "recomputed_amount": MONEY,
    "previously_adjusted_amount": MONEY,
    "adjustment_amount": MONEY,
}
assert tuple(STATEMENT_TYPES) == STATEMENT_FIELDS
assert set(LINE_FIELDS) <= set(LINE_TYPES)


def _columns(types: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {dtype}" for name, dtype in types.items())


# The columns of a ledger row of ``statements`` and ``lines``, in table order.
STATEMENT_ROW_TYPES = {
    "sequence": "bigint",
    **STATEMENT_TYPES,
    **STATEMENT_DISPLAY_TYPES,
    "previous_hash": "varchar",
    "ledger_hash": "varchar",
}
LINE_ROW_TYPES = {"sequence": "bigint", **LINE_TYPES}

TABLES = ("locks", "statements", "lines", "adjustments", "line_tiers", "statement_tiers")
SCHEMA = (
    "create table if not exists locks (quarter_start date primary key, close_date date, "
    "locked_at timestamp not null, locked_as_of_date date not null, run_id varchar not null)",
    "create table if not exists statements (sequence bigint primary key, "
    f"{_columns(STATEMENT_TYPES)}, {_columns(STATEMENT_DISPLAY_TYPES)}, "
    "previous_hash varchar not null, ledger_hash varchar not null)",
    f"create table if not exists lines (sequence bigint not null, {_columns(LINE_TYPES)})",
    f"create table if not exists adjustments ({_columns(ADJUSTMENT_TYPES)})",
    f"create table if not exists line_tiers ({_columns(LINE_TIER_TYPES)})",
    f"create table if not exists statement_tiers ({_columns(STATEMENT_TIER_TYPES)})",
)


@dataclass(frozen=True)
class Lock:
    """What one run locks: quarters (with the close date that allowed it), the quarters'
    statements and lines as the run published them, and the adjustments they pay."""

    quarters: Mapping[date, date | None]  # quarter_start -> close_date
    statements: Sequence[Mapping[str, object]]
    lines: Sequence[Mapping[str, object]]
    adjustments: Sequence[Mapping[str, object]]
    locked_at: datetime
    locked_as_of_date: date
    run_id: str
    line_tiers: Sequence[Mapping[str, object]] = ()
    statement_tiers: Sequence[Mapping[str, object]] = ()


def ensure_ledger(path: Path) -> None:
    """Create the ledger file and its tables if they do not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for statement in SCHEMA:
            con.execute(statement)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_chain(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], dict[int, list[dict]]]:
    statements = _rows(con, "select * from statements order by sequence")
    lines: dict[int, list[dict]] = defaultdict(list)
    for line in _rows(con, "select * from lines order by sequence"):
        lines[int(line["sequence"])].append(line)
    return statements, lines


def verify(path: Path) -> Broken | UnmatchedLock | None:
    """The first broken statement of the ledger at ``path``; None when the chain holds (or
    there is no ledger yet)."""
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "statements" not in tables:
            return None
        statements, lines = read_chain(con)
        locks = _rows(con, "select * from locks")
    return first_break(statements, lines, locks)


def locked_quarters(path: Path) -> dict[date, dict]:
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        return {row["quarter_start"]: row for row in _rows(con, "select * from locks")}


def append_lock(path: Path, lock: Lock) -> list[dict]:
    """Write ``lock`` in one transaction: the quarters, then each statement in order
    (quarter, employee) chained to the last locked one, its lines and the adjustments. Returns
    the statements as written (with sequence and hashes)."""
    ensure_ledger(path)
    by_statement: dict[tuple, list] = defaultdict(list)
    for line in lock.lines:
        by_statement[(line["employee_id"], line["quarter_start"])].append(line)
    written: list[dict] = []
    with duckdb.connect(str(path)) as con:
        con.execute("begin transaction")
        try:
            already = {r[0] for r in con.execute("select quarter_start from locks").fetchall()}
            overlap = sorted(set(lock.quarters) & already)
            if overlap:
                raise ValueError(f"payout ledger: quarters already locked: {overlap}")
            last = con.execute(
                "select sequence, ledger_hash from statements order by sequence desc limit 1"
            ).fetchone()
            sequence, previous = (last[0], last[1]) if last else (0, GENESIS)
            for quarter, close_date in sorted(lock.quarters.items()):
                con.execute(
                    "insert into locks values (?, ?, ?, ?, ?)",
                    [quarter, close_date, lock.locked_at, lock.locked_as_of_date, lock.run_id],
                )
            ordered = sorted(lock.statements, key=lambda s: (s["quarter_start"], s["employee_id"]))
            line_rows: list[dict] = []
            for source in ordered:
                statement = {
                    **{f: source.get(f) for f in STATEMENT_FIELDS},
                    "locked_at": lock.locked_at,
                    "locked_as_of_date": lock.locked_as_of_date,
                    "run_id": lock.run_id,
                }
                lines = by_statement.get((statement["employee_id"], statement["quarter_start"]), [])
                sequence += 1
                ledger_hash = chain_hash(previous, canonical_text(statement, lines))
                display = {c: source.get(c) for c in STATEMENT_DISPLAY_TYPES}
                row = {"sequence": sequence, **statement, **display}
                row |= {"previous_hash": previous, "ledger_hash": ledger_hash}
                line_rows += [{"sequence": sequence, **line} for line in lines]
                written.append(row)
                previous = ledger_hash
            for table, types, rows in (
                ("statements", STATEMENT_ROW_TYPES, written),
                ("lines", LINE_ROW_TYPES, line_rows),
                ("adjustments", ADJUSTMENT_TYPES, lock.adjustments),
                ("line_tiers", LINE_TIER_TYPES, lock.line_tiers),
                ("statement_tiers", STATEMENT_TIER_TYPES, lock.statement_tiers),
            ):
                _insert_rows(con, table, types, rows)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return written


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    types: Mapping[str, str],
    rows: Sequence[Mapping[str, object]],
) -> None:
    """Insert the ``types`` columns of ``rows`` in one statement: each column is bound as one
    list and the lists are unnested side by side (a statement per row cost ~1 ms: a minute
    for the first lock at scale 10). Decimal columns travel as text that DuckDB casts, so no
    amount passes through a double; the others as their Python values, cast to the column."""
    if not rows:
        return
    items, parameters = [], []
    for column, declared in types.items():
        dtype = declared.removesuffix(" not null")
        values = [row.get(column) for row in rows]
        if dtype.startswith("decimal"):
            items.append(f"unnest(?::varchar[])::{dtype}")
            parameters.append([None if v is None else str(v) for v in values])
        else:
            items.append(f"unnest(?::{dtype}[])")
            parameters.append(values)
    con.execute(f"insert into {table} ({', '.join(types)}) select {', '.join(items)}", parameters)


def snapshot_into(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """Copy the ledger's tables into schema ``ledger`` of the warehouse ``con`` (replacing the
    previous copy, in one transaction), so dbt reads the locks like any other source. Creates
    an empty ledger first when there is none. Returns the row count of each table."""
    ensure_ledger(path)
    con.execute(f"attach {sql_literal(str(path))} as payout_ledger (read_only)")
    try:
        con.execute("begin transaction")
        try:
            con.execute(f"create schema if not exists {LEDGER_SCHEMA}")
            for table in TABLES:
                con.execute(
                    f"create or replace table {LEDGER_SCHEMA}.{table} as "
                    f"select * from payout_ledger.main.{table}"
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return {
            table: con.execute(f"select count(*) from {LEDGER_SCHEMA}.{table}").fetchone()[0]
            for table in TABLES
        }
    finally:
        con.execute("detach payout_ledger")
