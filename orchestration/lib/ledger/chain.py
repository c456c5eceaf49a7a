"""The ledger's hash chain (mart contract, "Period close and the payout ledger").

Each locked statement carries ``ledger_hash`` = SHA-256 of the previous locked statement's hash
(in lock order; the empty string before the first) and a canonical text of the statement and
its lines. The canonical text is one JSON array per record, in a fixed order:

- the statement: ``"statement"``, then its values in ``STATEMENT_FIELDS`` order;
- each line, sorted by opportunity_id, line_type and spiff_id (NULL first): ``"line"``, then
  its values in ``LINE_FIELDS`` order.

Values are written the same way whatever read them: NULL as ``null``, money as its decimal text
with two places, dates and timestamps in ISO 8601, other numbers as the shortest text that reads
back as the same double. The text is pure data, so an auditor can recompute a chain from the
ledger file with nothing but this module (``python -m orchestration.cli.ledger verify``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

GENESIS = ""

# The statement's contract columns a lock keeps, and the lock's own facts.
STATEMENT_FIELDS = (
    "employee_id",
    "rep_id",
    "quarter_start",
    "plan_id",
    "quota_amount",
    "target_incentive",
    "base_rate",
    "credited_bookings",
    "attainment_rate",
    "gross_commission",
    "capped_commission",
    "clawback_amount",
    "spiff_amount",
    "quarter_commission_amount",
    "adjustment_amount",
    "earned_amount",
    "draw_amount",
    "draw_recovery_amount",
    "draw_balance",
    "payout_amount",
    "locked_at",
    "locked_as_of_date",
    "run_id",
)
LINE_FIELDS = (
    "employee_id",
    "rep_id",
    "quarter_start",
    "opportunity_id",
    "line_type",
    "spiff_id",
    "credited_amount",
    "cumulative_before",
    "cumulative_after",
    "commission_amount",
)


def canonical_value(value: object) -> object:
    """One value as the canonical text writes it (JSON-ready)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"no canonical text for {type(value).__name__} {value!r}")


def _line_order(line: Mapping[str, object]) -> tuple:
    spiff = line.get("spiff_id")
    return (line["opportunity_id"], line["line_type"], spiff is not None, spiff or "")


def canonical_text(statement: Mapping[str, object], lines: Iterable[Mapping[str, object]]) -> str:
    records = [["statement", *(canonical_value(statement[f]) for f in STATEMENT_FIELDS)]]
    for line in sorted(lines, key=_line_order):
        records.append(["line", *(canonical_value(line[f]) for f in LINE_FIELDS)])
    return "\n".join(
        json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records
    )


def chain_hash(previous_hash: str, text: str) -> str:
    return hashlib.sha256(f"{previous_hash}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Broken:
    """The first locked statement whose stored hash is not the chain's."""

    sequence: int
    employee_id: str
    quarter_start: date
    stored_hash: str
    expected_hash: str

    def __str__(self) -> str:
        return (
            f"payout ledger: the chain breaks at locked statement #{self.sequence} "
            f"(employee {self.employee_id}, quarter {self.quarter_start}): its ledger_hash is "
            f"{self.stored_hash[:12]}…, its statement and lines hash to "
            f"{self.expected_hash[:12]}…; the ledger was changed after it was written"
        )


@dataclass(frozen=True)
class UnmatchedLock:
    """A locked statement whose quarter's lock row is missing or says another run or time (the
    lock rows are not hashed; they must agree with the hashed statements)."""

    sequence: int
    employee_id: str
    quarter_start: date

    def __str__(self) -> str:
        return (
            f"payout ledger: locked statement #{self.sequence} (employee {self.employee_id}, "
            f"quarter {self.quarter_start}) has no lock row of its run and time for its quarter; "
            "the ledger was changed after it was written"
        )


def first_break(
    statements: Sequence[Mapping[str, object]],
    lines_of: Mapping[int, Sequence[Mapping[str, object]]],
    locks: Sequence[Mapping[str, object]] | None = None,
) -> Broken | UnmatchedLock | None:
    """Walk ``statements`` in lock order (each with ``sequence``, ``previous_hash`` and
    ``ledger_hash``); ``lines_of`` maps a sequence to its lines. With ``locks`` (the lock rows),
    each statement's quarter must have a lock row with its run and time. None when it holds."""
    by_quarter = {lock["quarter_start"]: lock for lock in locks or ()}
    previous = GENESIS
    for statement in statements:
        sequence = int(statement["sequence"])
        expected = chain_hash(previous, canonical_text(statement, lines_of.get(sequence, ())))
        if statement["previous_hash"] != previous or statement["ledger_hash"] != expected:
            return Broken(
                sequence,
                str(statement["employee_id"]),
                statement["quarter_start"],
                str(statement["ledger_hash"]),
                expected,
            )
        lock = by_quarter.get(statement["quarter_start"])
        if locks is not None and (
            lock is None
            or (lock["run_id"], lock["locked_at"]) != (statement["run_id"], statement["locked_at"])
        ):
            return UnmatchedLock(
                sequence, str(statement["employee_id"]), statement["quarter_start"]
            )
        previous = expected
    return None
