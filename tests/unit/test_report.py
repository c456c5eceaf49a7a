"""`make run`'s closing report: the period-close lines read from the published file."""

import duckdb

from orchestration.cli.report import period_close_lines


def bi_file(tmp_path, statements, adjustments):
    path = tmp_path / "bi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mart_commission_statements "
            "(employee_id varchar, quarter_start date, is_locked boolean, locked_at timestamp)"
        )
        con.execute(
            "create table marts.fct_commission_adjustments (employee_id varchar, "
            "quarter_start date, adjusted_quarter_start date, adjustment_amount decimal(18, 2))"
        )
        for row in statements:
            con.execute("insert into marts.mart_commission_statements values (?, ?, ?, ?)", row)
        for row in adjustments:
            con.execute("insert into marts.fct_commission_adjustments values (?, ?, ?, ?)", row)
    return path


def test_nothing_locked(tmp_path):
    path = bi_file(tmp_path, [("1", "2026-07-01", False, None)], [])
    assert period_close_lines(path) == [
        "Commission: no quarter locked yet (sales_ops/comp_periods close them)."
    ]


def test_locked_quarters_and_the_adjustments_open_quarters_pay(tmp_path):
    statements = [
        ("1", "2026-04-01", True, "2026-10-20 02:10:00"),
        ("1", "2026-07-01", True, "2026-10-20 02:10:00"),
        ("1", "2026-10-01", False, None),
        ("2", "2026-10-01", False, None),
    ]
    adjustments = [
        # locked with the quarter that paid it: not an open adjustment
        ("1", "2026-07-01", "2026-04-01", "5.00"),
        ("1", "2026-10-01", "2026-07-01", "100.25"),
        ("2", "2026-10-01", "2026-04-01", "-40.00"),
        ("2", "2026-10-01", "2026-07-01", "-10.00"),
    ]
    assert period_close_lines(bi_file(tmp_path, statements, adjustments)) == [
        "Commission: 2 quarters locked in the payout ledger (2026-04-01 to 2026-07-01; "
        "last lock 2026-10-20 02:10 UTC).",
        "  quarter 2026-10-01 pays 3 adjustment(s) of locked quarters to 2 employee(s), "
        "net +50.25 (marts.fct_commission_adjustments)",
    ]


def test_locked_quarters_without_changes(tmp_path):
    path = bi_file(tmp_path, [("1", "2026-07-01", True, "2026-10-20 02:10:00")], [])
    assert period_close_lines(path)[1] == (
        "  no locked quarter changed since it was locked: no adjustment to pay"
    )
