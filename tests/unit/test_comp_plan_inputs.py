"""Comp-plan inputs at the loader: optional columns and objects, and the row rules of the source
contract (``ROW_RULES``) that reject one row each with file, line, column and reason while the
file's other rows load."""

import json
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.loader import load_object

PLANS = OBJECTS_BY_FOLDER["sales_ops/comp_plans"]
ASSIGNMENTS = OBJECTS_BY_FOLDER["sales_ops/plan_assignments"]
SPIFFS = OBJECTS_BY_FOLDER["sales_ops/spiffs"]
SCENARIO_TIERS = OBJECTS_BY_FOLDER["sales_ops/plan_scenario_tiers"]

ASSIGNMENT_HEADER = (
    "employee_id,plan_id,effective_start,effective_end,quarterly_target_incentive,"
    "quarterly_draw_amount,draw_type"
)
SPIFF_HEADER = (
    "spiff_id,spiff_name,start_date,end_date,opportunity_type,min_amount,amount_per_deal,"
    "max_payout_per_employee"
)
TIER_HEADER = "scenario_id,plan_id,floor_attainment,ceiling_attainment,rate_multiplier"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        yield connection


def write(landing: Path, rel: str, lines: list[str]) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def rejects(con) -> list[tuple]:
    return con.execute(
        "select source_file, line_number, column_name, reason from audit.rejected_rows "
        "order by source_file, line_number, column_name"
    ).fetchall()


GOOD_ASSIGNMENT = "E0,P1,2026-01-01,,1000.00,500.00,recoverable"
GOOD_SPIFF = "S0,Q1 push,2026-01-01,2026-03-31,New Business,5000,250,1000"


@pytest.mark.parametrize(
    ("obj", "header", "good", "bad", "column", "reason"),
    [
        (
            ASSIGNMENTS, ASSIGNMENT_HEADER, GOOD_ASSIGNMENT,
            "E1,P1,2026-01-01,,1000.00,500.00,",
            "draw_type", "draw_type is required with quarterly_draw_amount (500.00)",
        ),
        (
            ASSIGNMENTS, ASSIGNMENT_HEADER, GOOD_ASSIGNMENT,
            "E1,P1,2026-01-01,,1000.00,,non_recoverable",
            "quarterly_draw_amount",
            "quarterly_draw_amount is required with draw_type (non_recoverable)",
        ),
        (
            ASSIGNMENTS, ASSIGNMENT_HEADER, GOOD_ASSIGNMENT,
            "E1,P1,2026-01-01,,1000.00,500.00,forgivable",
            "draw_type",
            "unknown value 'forgivable' (expected one of recoverable, non_recoverable)",
        ),
        (
            ASSIGNMENTS, ASSIGNMENT_HEADER, GOOD_ASSIGNMENT,
            "E1,P1,2026-01-01,,1000.00,-1.00,recoverable",
            "quarterly_draw_amount", "quarterly_draw_amount may not be negative (-1.00)",
        ),
        (
            PLANS, "plan_id,plan_name,cap_multiple,clawback_days,tier_method",
            "P0,Plan,2.0,90,marginal", "P1,Plan,2.0,90,Retroactive",
            "tier_method", "unknown value 'Retroactive' (expected one of marginal, retroactive)",
        ),
        (
            SPIFFS, SPIFF_HEADER, GOOD_SPIFF,
            "S1,Late,2026-03-31,2026-03-30,,,250,",
            "end_date", "end_date 2026-03-30 is before start_date 2026-03-31",
        ),
        (
            SPIFFS, SPIFF_HEADER, GOOD_SPIFF,
            "S1,Negative,2026-01-01,2026-03-31,,,-250,",
            "amount_per_deal", "amount_per_deal may not be negative (-250.00)",
        ),
    ],
)  # fmt: skip
def test_a_bad_comp_plan_row_is_rejected_alone(
    con, tmp_path, obj, header, good, bad, column, reason
):
    landing = tmp_path / "landing"
    write(landing, f"{obj.folder}/export.csv", [header, good, bad, good.replace("0", "9", 1)])
    result = load_object(con, landing, obj)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejects(con) == [(f"{obj.folder}/export.csv", 3, column, reason)]


def test_the_rejected_row_keeps_its_raw_record(con, tmp_path):
    landing = tmp_path / "landing"
    write(landing, "sales_ops/spiffs/a.csv", [SPIFF_HEADER, "S1,Late,2026-03-31,2026-03-30,,,250,"])
    load_object(con, landing, SPIFFS)
    raw_value, record = con.execute(
        "select raw_value, raw_record from audit.rejected_rows"
    ).fetchone()
    assert raw_value == "2026-03-30"
    assert json.loads(record)["spiff_id"] == "S1"


@pytest.mark.parametrize(
    ("tiers", "broken_line", "reason"),
    [
        (["A,P1,0,1.0,1", "A,P1,0.9,,2"], 3,
         "overlaps the tier on line 2: floor_attainment 0.9 is below its ceiling 1.0"),
        (["A,P1,0,1.0,1", "A,P1,1.2,,2"], 3,
         "leaves a gap after the tier on line 2: floor_attainment 1.2 is above its ceiling 1.0"),
        (["A,P1,0,,1", "A,P1,1.0,,2"], 3, "tier after the open-ended tier on line 2"),
    ],
)  # fmt: skip
def test_a_broken_scenario_tier_set_is_rejected_whole_and_the_others_load(
    con, tmp_path, tiers, broken_line, reason
):
    landing = tmp_path / "landing"
    good = ["B,P1,0,1.0,1", "B,P1,1.0,,3"]
    write(landing, "sales_ops/plan_scenario_tiers/a.csv", [TIER_HEADER, *tiers, *good])
    result = load_object(con, landing, SCENARIO_TIERS)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert rejects(con) == [
        (
            "sales_ops/plan_scenario_tiers/a.csv", 2, "floor_attainment",
            f"rejected with the rest of its scenario_id, plan_id (A, P1): line {broken_line} "
            + reason,
        ),
        ("sales_ops/plan_scenario_tiers/a.csv", broken_line, "floor_attainment", reason),
    ]  # fmt: skip
    loaded = con.execute("select distinct scenario_id from raw.sales_ops__plan_scenario_tiers")
    assert loaded.fetchall() == [("B",)]


def test_a_scenario_tier_that_ends_where_it_starts_rejects_its_set(con, tmp_path):
    landing = tmp_path / "landing"
    write(
        landing,
        "sales_ops/plan_scenario_tiers/a.csv",
        [TIER_HEADER, "A,P1,0,0,1", "A,P1,0,,2"],
    )
    load_object(con, landing, SCENARIO_TIERS)
    assert [row[1:3] for row in rejects(con)] == [
        (2, "ceiling_attainment"),
        (3, "ceiling_attainment"),
    ]


def test_optional_columns_may_be_absent_and_are_typed_in_the_raw_table(con, tmp_path):
    landing = tmp_path / "landing"
    write(
        landing,
        "sales_ops/plan_assignments/a.csv",
        ["employee_id,plan_id,effective_start,effective_end,quarterly_target_incentive",
         "E1,P1,2026-01-01,,1000.00"],
    )  # fmt: skip
    result = load_object(con, landing, ASSIGNMENTS)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'sales_ops__plan_assignments'"
        ).fetchall()
    )
    assert types["quarterly_draw_amount"] == "DECIMAL(18,2)"
    assert types["draw_type"] == "VARCHAR"
    row = con.execute(
        "select quarterly_draw_amount, draw_type from raw.sales_ops__plan_assignments"
    )
    assert row.fetchall() == [(None, None)]


def test_a_raw_table_made_before_an_optional_column_gains_it_with_its_type(con, tmp_path):
    con.execute("create schema raw")
    con.execute(
        "create table raw.sales_ops__comp_plans (plan_id varchar, plan_name varchar, "
        "cap_multiple double, clawback_days integer, _source_file varchar, _source_line bigint, "
        "_file_hash varchar, _loaded_at timestamp)"
    )
    landing = tmp_path / "landing"
    write(landing, "sales_ops/comp_plans/a.csv",
          ["plan_id,plan_name,cap_multiple,clawback_days", "P1,Plan,,90"])  # fmt: skip
    load_object(con, landing, PLANS)
    assert con.execute("select plan_id, tier_method from raw.sales_ops__comp_plans").fetchall() == [
        ("P1", None)
    ]


def test_missing_optional_objects_load_empty_typed_tables(con, tmp_path):
    for folder in ("sales_ops/spiffs", "sales_ops/plan_scenarios", "sales_ops/plan_scenario_tiers"):
        result = load_object(con, tmp_path / "landing", OBJECTS_BY_FOLDER[folder])
        assert result.table_rows == 0
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'sales_ops__spiffs' "
        "and column_name in ('start_date', 'amount_per_deal') order by column_name"
    ).fetchall()
    assert columns == [("amount_per_deal", "DECIMAL(18,2)"), ("start_date", "DATE")]
