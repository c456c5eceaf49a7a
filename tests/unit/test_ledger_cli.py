"""`python -m orchestration.cli.ledger`: an auditor's check of the payout ledger file.

Exit 0 with a one-line summary when the chain holds, 1 naming the first broken statement, 2
when there is no ledger at the path (an auditor pointing at the wrong file must not read "ok").
"""

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from orchestration.cli.ledger import main
from orchestration.lib.ledger.store import Lock, append_lock, ensure_ledger
from tests.helpers.pipeline import REPO_ROOT

Q1, Q2 = date(2026, 1, 1), date(2026, 4, 1)


def statement(employee: str, quarter: date, payout: str) -> dict:
    money = Decimal(payout)
    zero = Decimal("0.00")
    return {
        "employee_id": employee, "rep_id": f"r-{employee}", "quarter_start": quarter,
        "plan_id": "AE-STD", "quota_amount": Decimal("100000.00"),
        "target_incentive": Decimal("10000.00"), "base_rate": 0.1,
        "credited_bookings": Decimal("50000.00"), "attainment_rate": 0.5,
        "gross_commission": money, "capped_commission": money, "clawback_amount": zero,
        "spiff_amount": zero, "quarter_commission_amount": money, "adjustment_amount": zero,
        "earned_amount": money, "draw_amount": zero, "draw_recovery_amount": zero,
        "draw_balance": zero, "payout_amount": money,
    }  # fmt: skip


def line(employee: str, quarter: date, opportunity: str, amount: str) -> dict:
    return {
        "employee_id": employee, "rep_id": f"r-{employee}", "quarter_start": quarter,
        "opportunity_id": opportunity, "line_type": "booking", "spiff_id": None,
        "credited_amount": Decimal("50000.00"), "cumulative_before": Decimal("0.00"),
        "cumulative_after": Decimal("50000.00"), "commission_amount": Decimal(amount),
    }  # fmt: skip


def lock(quarter: date, close_date: date, statements: list, lines: list, run_id: str) -> Lock:
    return Lock(
        quarters={quarter: close_date},
        statements=statements,
        lines=lines,
        adjustments=[],
        locked_at=datetime(close_date.year, close_date.month, close_date.day + 1, 2, 0),
        locked_as_of_date=close_date.replace(day=close_date.day + 1),
        run_id=run_id,
    )


@pytest.fixture
def ledger(tmp_path):
    """Two locked quarters: Q1 with E1 (4,000.00) and E2 (2,500.00), Q2 with E1 (100.00)."""
    path = tmp_path / "ledger" / "spm_ledger.duckdb"
    append_lock(
        path,
        lock(Q1, date(2026, 4, 15),
             [statement("E2", Q1, "2500.00"), statement("E1", Q1, "4000.00")],
             [line("E1", Q1, "O1", "4000.00"), line("E2", Q1, "O2", "2500.00")], "run-1"),
    )  # fmt: skip
    append_lock(path, lock(Q2, date(2026, 7, 15), [statement("E1", Q2, "100.00")], [], "run-2"))
    return path


def last_hash(path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        sql = "select ledger_hash from statements order by sequence desc limit 1"
        return con.execute(sql).fetchone()[0]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_holding_chain_exits_0_with_a_one_line_summary(ledger, capsys):
    code, out, err = run(capsys, "verify", "--ledger", str(ledger))
    assert (code, err) == (0, "")
    assert out == (
        f"payout ledger {ledger}: chain holds: 2 locked quarters (2026-01-01 to 2026-04-01), "
        f"3 statements, last hash {last_hash(ledger)}\n"
    )


@pytest.mark.parametrize(
    ("sql", "sequence", "employee", "quarter"),
    [
        ("update statements set payout_amount = 4000.01 where sequence = 1", 1, "E1", Q1),
        ("update lines set commission_amount = 2500.01 where employee_id = 'E2'", 2, "E2", Q1),
    ],
    ids=["statement_payout", "line_commission"],
)
def test_an_edited_amount_exits_1_naming_the_first_broken_statement(
    ledger, capsys, sql, sequence, employee, quarter
):
    with duckdb.connect(str(ledger)) as con:
        con.execute(sql)
    code, out, _ = run(capsys, "verify", "--ledger", str(ledger))
    assert code == 1
    first = out.splitlines()[0]
    assert f"locked statement #{sequence} (employee {employee}, quarter {quarter})" in first
    assert "chain holds" not in out and str(ledger) in out


def test_a_missing_file_exits_2_and_is_not_created(tmp_path, capsys):
    path = tmp_path / "elsewhere" / "spm_ledger.duckdb"
    code, out, err = run(capsys, "verify", "--ledger", str(path))
    assert (code, out) == (2, "")
    assert f"no payout ledger at {path}" in err
    assert not path.exists() and not path.parent.exists()


def test_a_file_that_is_not_a_ledger_exits_2(tmp_path, capsys):
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n")
    warehouse = tmp_path / "spm.duckdb"  # the warehouse holds a copy in schema ledger, not main
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema ledger")
        con.execute("create table ledger.statements (sequence bigint)")
    for path, message in (
        (text, "cannot read"),
        (warehouse, "is not a payout ledger"),
        (tmp_path, "is a folder"),
    ):
        code, out, err = run(capsys, "verify", "--ledger", str(path))
        assert (code, out) == (2, ""), path
        assert message in err and str(path) in err


def test_an_empty_ledger_holds_with_nothing_locked(tmp_path, capsys):
    path = tmp_path / "spm_ledger.duckdb"
    ensure_ledger(path)  # what the first run's payout_ledger step leaves before any lock
    code, out, _ = run(capsys, "verify", "--ledger", str(path))
    assert code == 0
    assert out == f"payout ledger {path}: chain holds: no quarter locked yet, 0 statements\n"


def test_the_default_ledger_is_spm_ledger_database(ledger, monkeypatch, capsys):
    monkeypatch.setenv("SPM_LEDGER_DATABASE", str(ledger))
    code, out, _ = run(capsys, "verify")
    assert code == 0 and f"payout ledger {ledger}: chain holds" in out
    monkeypatch.setenv("SPM_LEDGER_DATABASE", " ")  # blank is an error, not the default file
    code, out, err = run(capsys, "verify")
    assert (code, out) == (2, "")
    assert "SPM_LEDGER_DATABASE" in err


def test_show_lists_the_locked_quarters_then_the_verdict(ledger, capsys):
    code, out, _ = run(capsys, "show", "--ledger", str(ledger))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "quarter_start", "close_date", "locked_at", "locked_as_of_date", "run_id", "statements",
        "total_payout",
    ]  # fmt: skip
    assert lines[1].split() == [
        "2026-01-01", "2026-04-15", "2026-04-16", "02:00:00", "2026-04-16", "run-1", "2",
        "6,500.00",
    ]  # fmt: skip
    assert lines[2].split() == [
        "2026-04-01", "2026-07-15", "2026-07-16", "02:00:00", "2026-07-16", "run-2", "1", "100.00",
    ]  # fmt: skip
    assert lines[3].startswith(f"payout ledger {ledger}: chain holds: 2 locked quarters")
    assert len(lines) == 4


def test_show_of_a_broken_ledger_exits_1(ledger, capsys):
    with duckdb.connect(str(ledger)) as con:
        con.execute("update statements set payout_amount = 0 where sequence = 3")
    code, out, _ = run(capsys, "show", "--ledger", str(ledger))
    assert code == 1
    assert "locked statement #3 (employee E1, quarter 2026-04-01)" in out


def test_python_m_exits_with_the_verdict(ledger, tmp_path):
    def exit_code(path) -> int:
        command = [sys.executable, "-m", "orchestration.cli.ledger", "verify", "--ledger", path]
        return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, timeout=60).returncode

    assert exit_code(str(ledger)) == 0
    assert exit_code(str(tmp_path / "missing.duckdb")) == 2
    with duckdb.connect(str(ledger)) as con:
        con.execute("update statements set payout_amount = 4000.01 where sequence = 1")
    assert exit_code(str(ledger)) == 1
