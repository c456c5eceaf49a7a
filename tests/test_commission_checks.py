"""The commission trust checks find what they claim to find, on a hand-made warehouse."""

import dagster as dg
import duckdb
import pytest

from orchestration.commission_checks import (
    lines_have_statements,
    statements_have_quota,
    statements_reconcile_to_lines,
    won_deal_credits_sum_to_amount,
)
from orchestration.resources import SpmSettings


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema intermediate")
        con.execute(
            """
            create table marts.mart_commission_statements as
            select * from (values
                ('E1', '005A', date '2025-01-01', 'P', 1000.00, 100.00, 80.00, -20.00, 60.00),
                ('E2', '005B', date '2025-01-01', 'P', null, 0.00, 0.00, 0.00, 0.00)
            ) as t (employee_id, rep_id, quarter_start, plan_id, quota_amount, gross_commission,
                    capped_commission, clawback_amount, payout_amount)
            """
        )
        con.execute(
            """
            create table marts.fct_commission_lines as
            select * from (values
                ('E1', date '2025-01-01', 'O1', 'booking', 70.00),
                ('E1', date '2025-01-01', 'O2', 'booking', 30.00),
                ('E1', date '2025-01-01', 'O3', 'clawback', -20.00)
            ) as t (employee_id, quarter_start, opportunity_id, line_type, commission_amount)
            """
        )
        con.execute(
            """
            create table intermediate.int_opportunities as
            select * from (values ('O1', 100.00, true), ('O2', 90.00, true), ('O4', 5.00, false))
                as t (opportunity_id, amount, is_won)
            """
        )
        con.execute(
            """
            create table intermediate.int_opportunity_credits as
            select * from (values
                ('O1', '005A', 60.0, 60.00), ('O1', '005B', 40.0, 40.00),
                ('O2', '005A', 33.34, 30.01), ('O2', '005B', 33.33, 30.00),
                ('O2', '005C', 33.33, 30.00)
            ) as t (opportunity_id, rep_id, split_percentage, credited_amount)
            """
        )
    return path


def run(check, path):
    return check(settings=SpmSettings(warehouse=str(path)))


def is_blocking(check) -> bool:
    return all(spec.blocking for spec in check.check_specs)


def test_reconciled_statements_pass(warehouse):
    result = run(statements_reconcile_to_lines, warehouse)
    assert result.passed
    assert result.metadata["statements_checked"].value == 2


def test_a_statement_off_by_a_cent_blocks(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.mart_commission_statements set payout_amount = 60.01 "
            "where employee_id = 'E1'"
        )
    result = run(statements_reconcile_to_lines, warehouse)
    assert not result.passed
    assert result.metadata["mismatched_statements"].value == 1
    assert "E1" in result.metadata["mismatches"].value
    assert is_blocking(statements_reconcile_to_lines)


def test_lines_without_a_statement_are_a_warning(warehouse):
    assert run(lines_have_statements, warehouse).passed
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fct_commission_lines "
            "values ('E9', '2025-04-01', 'O9', 'clawback', -5)"
        )
    result = run(lines_have_statements, warehouse)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "E9" in result.metadata["lines_without_statement"].value
    assert not is_blocking(lines_have_statements)


def test_credits_of_won_deals_sum_to_their_amount(warehouse):
    assert run(won_deal_credits_sum_to_amount, warehouse).passed
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update intermediate.int_opportunity_credits set split_percentage = 30 "
                    "where opportunity_id = 'O1' and rep_id = '005B'")  # fmt: skip
        con.execute("insert into intermediate.int_opportunities values ('O5', 10, true)")
    result = run(won_deal_credits_sum_to_amount, warehouse)
    assert not result.passed
    listed = result.metadata["opportunities"].value
    assert "O1" in listed and "O5" in listed and "O2" not in listed
    assert is_blocking(won_deal_credits_sum_to_amount)


def test_missing_quota_is_a_warning_naming_employee_and_quarter(warehouse):
    result = run(statements_have_quota, warehouse)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "E2" in result.metadata["employees_and_quarters"].value
    assert "2025-01-01" in result.metadata["employees_and_quarters"].value
    assert not is_blocking(statements_have_quota)
