"""`python -m orchestration.cli.ledger verify|show [--ledger PATH]`: the payout ledger, for an
auditor (docs/operations.md, "The payout ledger").

- ``verify`` recomputes the hash chain of the locked statements, the check every run starts
  with (``orchestration.lib.ledger``), and prints one line: the locked quarters, the statements
  and the last hash when the chain holds (exit 0), the first broken statement when not (exit 1).
- ``show`` lists the locked quarters (close date, when, at which as-of date and by which run
  they were locked, their statements and total payout), then the same line, with the same exit
  code.

Exit 2 when there is nothing to verify: no file at the path, not a DuckDB file, a file without
the ledger's tables (the warehouse, the BI file), or an invalid ``SPM_*`` setting. The file is
opened read-only, once (the listing and the check read the same state), and never created.
``--ledger`` defaults to ``$SPM_LEDGER_DATABASE``.
"""

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.lib.ledger.chain import Broken, UnmatchedLock, first_break
from orchestration.lib.ledger.store import TABLES, read_chain
from spm_common.config_values import ConfigurationError, resolve_path
from spm_common.settings import LEDGER_DATABASE_VARIABLE, check_environment, env_path

CHAIN_HOLDS, CHAIN_BROKEN, NO_LEDGER = 0, 1, 2


class NoLedger(Exception):
    """There is no ledger to verify at the path."""


@dataclass(frozen=True)
class Ledger:
    path: Path
    locks: list[dict]  # in quarter order
    statements: list[dict]  # in lock order
    broken: Broken | UnmatchedLock | None


def read_ledger(path: Path) -> Ledger:
    if not path.exists():
        raise NoLedger(
            f"no payout ledger at {path}: nothing to verify (is it the ledger file? The "
            "pipeline creates it on its first run; see --ledger and $SPM_LEDGER_DATABASE)"
        )
    if not path.is_file():
        raise NoLedger(f"{path} is a folder, not a payout ledger file")
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = {
                row[0]
                for row in con.execute(
                    "select table_name from duckdb_tables() "
                    "where database_name = current_database() and schema_name = 'main'"
                ).fetchall()
            }
            missing = [table for table in TABLES if table not in tables]
            if missing:
                raise NoLedger(
                    f"{path} is not a payout ledger: it has no table {', '.join(missing)}"
                )
            cursor = con.execute("select * from locks order by quarter_start")
            names = [column[0] for column in cursor.description]
            locks = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            statements, lines = read_chain(con)
    except duckdb.Error as error:
        raise NoLedger(f"cannot read {path} as a payout ledger: {error}") from error
    return Ledger(path, locks, statements, first_break(statements, lines, locks))


def verdict(ledger: Ledger) -> str:
    """The check's result: one line when the chain holds; the first broken statement and what
    it means when not."""
    if ledger.broken is not None:
        return (
            f"{ledger.broken}\n  ledger {ledger.path}: every run fails until it is restored from "
            'a backup (docs/operations.md, "The payout ledger")'
        )
    if not ledger.statements and not ledger.locks:
        return f"payout ledger {ledger.path}: chain holds: no quarter locked yet, 0 statements"
    quarters = [str(lock["quarter_start"]) for lock in ledger.locks]
    span = f" ({quarters[0]} to {quarters[-1]})" if quarters else ""
    last = ledger.statements[-1]["ledger_hash"] if ledger.statements else "none"
    return (
        f"payout ledger {ledger.path}: chain holds: {len(quarters)} locked quarters{span}, "
        f"{len(ledger.statements)} statements, last hash {last}"
    )


def _text(value: object) -> str:
    if value is None:
        return "-"
    if hasattr(value, "hour"):  # a timestamp
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def quarters_table(ledger: Ledger) -> list[str]:
    counts = Counter(statement["quarter_start"] for statement in ledger.statements)
    payouts: dict[object, Decimal] = {}
    for statement in ledger.statements:
        amount = statement["payout_amount"] or Decimal(0)
        payouts[statement["quarter_start"]] = payouts.get(statement["quarter_start"], 0) + amount
    header = (
        "quarter_start",
        "close_date",
        "locked_at",
        "locked_as_of_date",
        "run_id",
        "statements",
        "total_payout",
    )
    rows = [
        (
            *(_text(lock[column]) for column in header[:5]),
            str(counts[lock["quarter_start"]]),
            f"{payouts.get(lock['quarter_start'], Decimal(0)):,.2f}",
        )
        for lock in ledger.locks
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {5, 6}
    return [
        "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.cli.ledger", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("verify", "check the hash chain; one line; exit 0 holds, 1 broken, 2 no ledger"),
        ("show", "list the locked quarters, then check the chain (same exit codes)"),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--ledger",
            type=Path,
            help="the ledger file; a relative path is relative to the repository root (default: "
            f"${LEDGER_DATABASE_VARIABLE})",
        )
    args = parser.parse_args(argv)
    try:
        if args.ledger is not None:
            path = resolve_path(str(args.ledger))
        else:
            check_environment()
            path = env_path(LEDGER_DATABASE_VARIABLE)
        ledger = read_ledger(path)
    except (ConfigurationError, NoLedger) as error:
        print(error, file=sys.stderr)
        return NO_LEDGER
    if args.command == "show":
        if ledger.locks:
            print("\n".join(quarters_table(ledger)))
        else:
            print("no locked quarter")
    print(verdict(ledger))
    return CHAIN_HOLDS if ledger.broken is None else CHAIN_BROKEN


if __name__ == "__main__":
    sys.exit(main())
