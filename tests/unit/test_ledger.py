"""The payout ledger file: one transaction per lock, the hash chain and its check."""

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from orchestration.lib.ledger.chain import GENESIS, canonical_text, chain_hash
from orchestration.lib.ledger.store import Lock, append_lock, locked_quarters, verify

Q1, Q2 = date(2026, 1, 1), date(2026, 4, 1)


def statement(employee: str, quarter: date, payout: str) -> dict:
    money = Decimal(payout)
    return {
        "employee_id": employee, "rep_id": f"r-{employee}", "quarter_start": quarter,
        "plan_id": "AE-STD", "quota_amount": Decimal("100000.00"),
        "target_incentive": Decimal("10000.00"), "base_rate": 0.1,
        "credited_bookings": Decimal("50000.00"), "attainment_rate": 0.5,
        "gross_commission": money, "capped_commission": money,
        "clawback_amount": Decimal("0.00"), "spiff_amount": Decimal("0.00"),
        "quarter_commission_amount": money, "adjustment_amount": Decimal("0.00"),
        "earned_amount": money, "draw_amount": Decimal("0.00"),
        "draw_recovery_amount": Decimal("0.00"), "draw_balance": Decimal("0.00"),
        "payout_amount": money,
    }  # fmt: skip


def line(employee: str, quarter: date, opportunity: str, amount: str, **extra) -> dict:
    return {
        "employee_id": employee, "rep_id": f"r-{employee}", "quarter_start": quarter,
        "opportunity_id": opportunity, "line_type": "booking", "spiff_id": None,
        "credited_amount": Decimal("50000.00"), "cumulative_before": Decimal("0.00"),
        "cumulative_after": Decimal("50000.00"), "commission_amount": Decimal(amount),
        "opportunity_name": "Acme - Renewal", **extra,
    }  # fmt: skip


def lock(quarter: date, statements: list[dict], lines: list[dict], run_id: str) -> Lock:
    return Lock(
        quarters={quarter: quarter.replace(month=quarter.month + 3, day=15)},
        statements=statements,
        lines=lines,
        adjustments=[],
        locked_at=datetime(2026, 4, 16, 2, 0),
        locked_as_of_date=date(2026, 4, 16),
        run_id=run_id,
    )


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "ledger" / "spm_ledger.duckdb"
    append_lock(
        path,
        lock(Q1, [statement("E2", Q1, "2500.00"), statement("E1", Q1, "4000.00")],
             [line("E1", Q1, "O1", "4000.00"), line("E2", Q1, "O2", "2500.00")], "run-1"),
    )  # fmt: skip
    append_lock(path, lock(Q2, [statement("E1", Q2, "100.00")], [], "run-2"))
    return path


def test_statements_chain_in_lock_order_from_the_empty_hash(ledger):
    with duckdb.connect(str(ledger), read_only=True) as con:
        rows = con.execute(
            "select sequence, employee_id, quarter_start, previous_hash, ledger_hash "
            "from statements order by sequence"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "E1", Q1), (2, "E2", Q1), (3, "E1", Q2)]
    assert rows[0][3] == GENESIS
    assert [r[3] for r in rows[1:]] == [r[4] for r in rows[:-1]]
    assert verify(ledger) is None
    assert set(locked_quarters(ledger)) == {Q1, Q2}


def test_the_hash_covers_the_statement_and_its_lines_not_display_columns():
    locked = statement("E1", Q1, "1.00") | {
        "locked_at": datetime(2026, 4, 16, 2, 0),
        "locked_as_of_date": date(2026, 4, 16),
        "run_id": "run-1",
    }
    base = canonical_text(locked, [line("E1", Q1, "O1", "1.00")])
    renamed = canonical_text(locked, [line("E1", Q1, "O1", "1.00", opportunity_name="Other")])
    changed = canonical_text(locked, [line("E1", Q1, "O1", "1.01")])
    relocked = canonical_text(locked | {"run_id": "run-2"}, [line("E1", Q1, "O1", "1.00")])
    assert relocked != base
    assert base == renamed and base != changed
    assert chain_hash("", base) != chain_hash("x", base)


@pytest.mark.parametrize(
    ("sql", "sequence"),
    [
        ("update statements set payout_amount = 4000.01 where sequence = 1", 1),
        ("update lines set commission_amount = 2500.01 where employee_id = 'E2'", 2),
        ("update statements set locked_as_of_date = '2026-04-17' where sequence = 3", 3),
        ("delete from lines where employee_id = 'E1' and quarter_start = '2026-01-01'", 1),
        ("delete from statements where sequence = 2", 3),
        ("delete from locks where quarter_start = '2026-04-01'", 3),
        ("update locks set run_id = 'run-9' where quarter_start = '2026-01-01'", 1),
    ],
)
def test_an_edited_ledger_names_its_first_broken_statement(ledger, sql, sequence):
    with duckdb.connect(str(ledger)) as con:
        con.execute(sql)
    broken = verify(ledger)
    assert broken is not None and broken.sequence == sequence
    assert f"#{sequence}" in str(broken) and "employee" in str(broken)


def test_a_quarter_locks_once_and_a_failed_lock_writes_nothing(ledger):
    with pytest.raises(ValueError, match="already locked"):
        append_lock(ledger, lock(Q2, [statement("E9", Q2, "1.00")], [], "run-3"))
    with pytest.raises(TypeError):  # a value the canonical text cannot write
        append_lock(
            ledger, lock(date(2026, 7, 1), [statement("E1", date(2026, 7, 1), "1.00")],
                         [line("E1", date(2026, 7, 1), "O3", "1.00", rep_id=object())], "run-4")
        )  # fmt: skip
    with duckdb.connect(str(ledger), read_only=True) as con:
        assert con.execute("select count(*) from statements").fetchone()[0] == 3
        assert con.execute("select count(*) from locks").fetchone()[0] == 2
    assert verify(ledger) is None


def test_no_ledger_verifies_as_an_empty_chain(tmp_path):
    assert verify(tmp_path / "none.duckdb") is None
    assert locked_quarters(tmp_path / "none.duckdb") == {}


def test_every_value_is_written_as_given(tmp_path):
    """Rows go in as one statement per table: amounts exact (not through a double), doubles,
    dates, NULLs and the lock's timestamp as given; the chain still verifies."""
    path = tmp_path / "ledger.duckdb"
    first = statement("E1", Q1, "1234567890123456.78") | {"base_rate": 0.1 + 0.2, "rep_id": None}
    lines = [
        line("E1", Q1, f"O{n}", f"{n}.{n % 100:02d}", won_date=date(2026, 2, n % 28 + 1))
        for n in range(1, 300)
    ]
    lines[5]["commission_amount"] = Decimal("-0.01")
    lines[6]["credited_amount"] = None
    append_lock(path, lock(Q1, [first, statement("E2", Q1, "0.10")], lines, "run-1"))
    assert verify(path) is None
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.execute(
            "select payout_amount, base_rate, rep_id, locked_at, sequence from statements "
            "order by sequence"
        ).fetchall()
        written = con.execute(
            "select opportunity_id, commission_amount, credited_amount, won_date from lines "
            "where sequence = 1"
        ).fetchall()
    assert stored[0] == (
        Decimal("1234567890123456.78"),
        0.1 + 0.2,
        None,
        datetime(2026, 4, 16, 2),
        1,
    )
    assert stored[1][0] == Decimal("0.10") and stored[1][4] == 2
    assert sorted(written) == sorted(
        (x["opportunity_id"], x["commission_amount"], x["credited_amount"], x["won_date"])
        for x in lines
    )
