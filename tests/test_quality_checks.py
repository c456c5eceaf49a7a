"""The Great Expectations asset checks find what they claim to find, on hand-made warehouses.

Raw tables are created as the loader creates them (contract types plus provenance columns);
marts with the columns their suites read. Checks run by direct invocation, as Dagster runs them.
"""

from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER
from ingestion.loader import ensure_raw_table, quote_ident
from orchestration import gx_runner, quality_checks
from orchestration.expectations import MART_SUITES, RAW_SUITES, error, mart_suite, warning
from orchestration.ingestion_assets import raw_asset_key
from orchestration.resources import PROJECT_ROOT, SpmSettings

STAMP = datetime(2025, 3, 1, 10, 0)
STAGES = [
    ("01J1", "Prospecting", 1, False, False, "Pipeline", 10.0),
    ("01J2", "Closed Won", 2, True, True, "Closed", 100.0),
    ("01J3", "Closed Lost", 3, True, False, "Omitted", 0.0),
]


def insert(con: duckdb.DuckDBPyConnection, folder: str, rows: list[dict], file: str = "") -> None:
    """Rows into the object's raw table; file and line default to an export and its order."""
    obj = OBJECTS_BY_FOLDER[folder]
    ensure_raw_table(con, obj, list(obj.columns))
    for line, row in enumerate(rows, start=2):
        values = {
            "_source_file": file or f"{folder}/{obj.name}_full.csv",
            "_source_line": line,
            "_file_hash": "hash",
            "_loaded_at": STAMP,
            **row,
        }
        columns = ", ".join(quote_ident(c) for c in values)
        marks = ", ".join("?" for _ in values)
        con.execute(
            f"insert into raw.{obj.table} ({columns}) values ({marks})", list(values.values())
        )


def opportunity(id_: str, **overrides) -> dict:
    return {
        "Id": id_,
        "OwnerId": "005A",
        "StageName": "Prospecting",
        "Amount": 100,
        "Probability": 10,
        "CloseDate": date(2025, 6, 30),
        "IsClosed": False,
        "IsWon": False,
        "ForecastCategoryName": "Pipeline",
        "CreatedDate": STAMP,
        "IsDeleted": False,
        "SystemModstamp": STAMP,
        **overrides,
    }


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Every raw object present (most empty), a few clean records in the sales ones."""
    path = tmp_path / "warehouse" / "spm.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        for obj in OBJECTS:
            ensure_raw_table(con, obj, list(obj.columns))
        insert(
            con,
            "salesforce/OpportunityStage",
            [
                dict(
                    zip(
                        ("Id", "ApiName", "SortOrder", "IsClosed", "IsWon"),
                        stage[:5],
                        strict=True,
                    ),
                    ForecastCategoryName=stage[5],
                    DefaultProbability=stage[6],
                    IsActive=True,
                    SystemModstamp=STAMP,
                )
                for stage in STAGES
            ],
        )
        insert(con, "salesforce/Opportunity", [opportunity("006A"), opportunity("006B")])
        split = {"SplitTypeId": "1CS", "IsDeleted": False, "SystemModstamp": STAMP}
        insert(
            con,
            "salesforce/OpportunitySplit",
            [
                {"Id": "S1", "OpportunityId": "006A", "SplitOwnerId": "005A",
                 "SplitPercentage": 33.33, **split},
                {"Id": "S2", "OpportunityId": "006A", "SplitOwnerId": "005B",
                 "SplitPercentage": 33.33, **split},
                {"Id": "S3", "OpportunityId": "006A", "SplitOwnerId": "005C",
                 "SplitPercentage": 33.34, **split},
            ],
        )  # fmt: skip
        insert(con, "sales_ops/comp_plans", [{"plan_id": "P1", "cap_multiple": 2.0}])
        insert(
            con,
            "sales_ops/comp_plan_tiers",
            [
                {"plan_id": "P1", "floor_attainment": 0.0, "ceiling_attainment": 0.5,
                 "rate_multiplier": 0.5},
                {"plan_id": "P1", "floor_attainment": 0.5, "ceiling_attainment": 1.0,
                 "rate_multiplier": 1.0},
                {"plan_id": "P1", "floor_attainment": 1.0, "ceiling_attainment": None,
                 "rate_multiplier": 1.5},
            ],
        )  # fmt: skip
    return path


def run_raw(folder: str, path: Path) -> dg.AssetCheckResult:
    return quality_checks.RAW_CHECKS[folder](settings=SpmSettings(warehouse=str(path)))


def run_mart(name: str, path: Path) -> dg.AssetCheckResult:
    return quality_checks.MART_CHECKS[name](settings=SpmSettings(warehouse=str(path)))


def md(result: dg.AssetCheckResult, key: str) -> str:
    return result.metadata[key].value


def execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


# ------------------------------------------------------------------------------ raw objects


def test_clean_objects_pass(warehouse):
    for folder in ("salesforce/OpportunityStage", "salesforce/Opportunity",
                   "salesforce/OpportunitySplit", "sales_ops/comp_plan_tiers"):  # fmt: skip
        result = run_raw(folder, warehouse)
        assert result.passed, (folder, md(result, "failed_expectations"))
        assert result.metadata["failed_error_level"].value == 0


def test_every_object_passes_when_empty(tmp_path):
    path = tmp_path / "spm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        for obj in OBJECTS:
            ensure_raw_table(con, obj, list(obj.columns))
    for obj in OBJECTS:
        result = run_raw(obj.folder, path)
        assert result.passed, (obj.folder, result.description)
        assert result.metadata["rows_validated"].value["records"] == 0


def test_a_duplicate_id_in_its_winning_file_is_an_error_naming_file_and_line(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006C"), opportunity("006C")],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_raw("salesforce/Opportunity", warehouse)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "expect_column_values_to_be_unique" in failures and "| Id |" in failures
    rows = md(result, "failing_rows_sample")
    assert "006C" in rows and "salesforce/Opportunity/delta.csv" in rows
    assert "| 2 |" in rows and "| 3 |" in rows  # both lines of the file


def test_superseded_and_deleted_versions_are_not_validated(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        later = datetime(2025, 4, 1)
        insert(
            con,
            "salesforce/Opportunity",
            [
                opportunity("006A", Amount=-1, SystemModstamp=datetime(2025, 1, 1)),  # older
                opportunity("006B"),  # the same version again in a later file: one record
                opportunity("006B", StageName="Bogus", IsDeleted=True, SystemModstamp=later),
            ],
            file="salesforce/Opportunity/delta.csv",
        )
    result = run_raw("salesforce/Opportunity", warehouse)
    assert result.passed, md(result, "failed_expectations")


def test_negative_amount_and_unknown_stage_are_errors_with_observed_values(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity",
               [opportunity("006D", Amount=-5), opportunity("006E", StageName="Bogus")],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_raw("salesforce/Opportunity", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    amount = next(line for line in failures.splitlines() if "| Amount |" in line)
    assert "expect_column_values_to_be_between(min_value=0" in amount
    assert "| error |" in amount and "-5.0" in amount and "1 of 4 rows" in amount
    stage = next(line for line in failures.splitlines() if "| StageName |" in line)
    assert "expect_column_values_to_be_in_set" in stage and "'Bogus'" in stage
    rows = md(result, "failing_rows_sample")
    assert "006D" in rows and "006E" in rows


def test_splits_summing_to_90_are_an_error(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(
            con,
            "salesforce/OpportunitySplit",
            [
                {"Id": "S4", "OpportunityId": "006B", "SplitOwnerId": "005A",
                 "SplitPercentage": 60, "IsDeleted": False, "SystemModstamp": STAMP},
                {"Id": "S5", "OpportunityId": "006B", "SplitOwnerId": "005B",
                 "SplitPercentage": 30, "IsDeleted": False, "SystemModstamp": STAMP},
            ],
            file="salesforce/OpportunitySplit/delta.csv",
        )  # fmt: skip
    result = run_raw("salesforce/OpportunitySplit", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "split_totals" in failures and "split_percentage_total" in failures
    assert "90.0" in failures
    rows = md(result, "failing_rows_sample")
    assert "006B" in rows and "006A" not in rows


def test_a_gap_between_tiers_is_an_error(warehouse):
    execute(
        warehouse,
        "update raw.sales_ops__comp_plan_tiers set floor_attainment = 0.6 "
        "where floor_attainment = 0.5",
    )
    result = run_raw("sales_ops/comp_plan_tiers", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "expect_column_pair_values_to_be_equal" in failures
    assert "floor_attainment, previous_ceiling" in failures and "(0.6, 0.5)" in failures


def test_a_tier_after_an_open_ended_one_is_an_error(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "sales_ops/comp_plan_tiers",
               [{"plan_id": "P1", "floor_attainment": 2.0, "rate_multiplier": 2.0}],
               file="sales_ops/comp_plan_tiers/more.csv")  # fmt: skip
    failures = md(run_raw("sales_ops/comp_plan_tiers", warehouse), "failed_expectations")
    assert "previous_ceiling where tier_number > 1" in failures


def test_a_warning_level_failure_is_a_warning(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006F", Amount=None)],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_raw("salesforce/Opportunity", warehouse)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "| Amount | warning | 1 of 3 rows; e.g. NULL |" in md(result, "failed_expectations")


def test_survey_scores_follow_their_factor(warehouse):
    answer = {"survey_id": "S1", "response_id": "R1", "employee_id": "E1",
              "submitted_at": STAMP}  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        insert(
            con,
            "survey/responses",
            [
                {**answer, "question_id": "Q1", "factor": "eNPS", "score": 0},
                {**answer, "question_id": "Q2", "factor": "Satisfaction", "score": 0},
                {**answer, "question_id": "Q3", "factor": "Wellbeing", "score": 3},
            ],
        )
    result = run_raw("survey/responses", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    others = "score where factor != 'eNPS' and factor is not null"
    assert f"| {others} | error | 1 of 2 rows; e.g. 0 |" in failures
    assert "where factor == 'eNPS'" not in failures  # 0 is a valid eNPS score
    assert "| factor | warning |" in failures and "'Wellbeing'" in failures


def test_a_missing_required_column_is_an_error(warehouse):
    execute(warehouse, 'alter table raw.salesforce__lead drop column "Status"')
    result = run_raw("salesforce/Lead", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "warehouse_type" in md(result, "failed_expectations")
    assert "Status" in md(result, "failing_rows_sample")


def test_a_missing_raw_table_fails_clearly(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    result = run_raw("salesforce/Task", path)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "raw.salesforce__task does not exist" in result.description


# ------------------------------------------------------------------------------------ marts


PIPELINE_ROW = {
    "rep_id": "005A", "month_start": date(2025, 1, 1), "opportunities_created": 2,
    "pipeline_created_amount": 100.0, "meetings_booked": 1, "won_count": 1, "won_amount": 50.0,
    "lost_count": 1, "win_rate": 0.5, "average_deal_size": 50.0,
}  # fmt: skip
TURNOVER_ROW = {
    "department": "Sales", "quarter_start": date(2025, 1, 1), "headcount_start": 2,
    "headcount_end": 1, "separations": 2, "voluntary_separations": 1, "avg_headcount": 1.5,
    "turnover_rate": 2 / 1.5, "annualized_turnover_rate": 8 / 1.5,
}  # fmt: skip
SURVEY_ROW = {
    "survey_id": "S1", "survey_name": "Q1", "department": "Sales",
    "survey_closed_date": date(2025, 3, 31), "headcount": 10, "respondents": 8,
    "response_rate": 0.8, "is_suppressed": False, "enps": 25.0, "promoters_pct": 50.0,
    "passives_pct": 25.0, "detractors_pct": 25.0, "satisfaction_avg": 4.0,
    "engagement_favorable_pct": 75.0,
}  # fmt: skip


def mart(path: Path, name: str, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)  # noqa: F841 - read by DuckDB's replacement scan
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.{name} as select * from frame")


def test_a_clean_mart_passes_and_links_its_data_docs(tmp_path):
    path = tmp_path / "warehouse" / "spm.duckdb"
    mart(path, "mart_pipeline_monthly", [PIPELINE_ROW])
    result = run_mart("mart_pipeline_monthly", path)
    assert result.passed, md(result, "failed_expectations")
    page = Path(unquote(urlparse(result.metadata["data_docs"].value).path))
    assert page.is_file() and page.suffix == ".html"
    assert page.is_relative_to(tmp_path / "warehouse" / "gx_data_docs")
    assert "mart_pipeline_monthly" in page.read_text()


def test_a_rate_of_1_2_fails(tmp_path):
    path = tmp_path / "spm.duckdb"
    mart(path, "mart_pipeline_monthly", [PIPELINE_ROW, {**PIPELINE_ROW, "rep_id": "005B",
                                                       "win_rate": 1.2}])  # fmt: skip
    result = run_mart("mart_pipeline_monthly", path)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "| win_rate | error | 1 of 2 rows; e.g. 1.2 |" in md(result, "failed_expectations")
    assert "005B" in md(result, "failing_rows_sample")


def test_a_duplicate_grain_fails(tmp_path):
    path = tmp_path / "spm.duckdb"
    mart(path, "mart_pipeline_monthly", [PIPELINE_ROW, PIPELINE_ROW])
    result = run_mart("mart_pipeline_monthly", path)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_compound_columns_to_be_unique" in md(result, "failed_expectations")


def test_turnover_above_1_is_a_warning_not_an_error(tmp_path):
    path = tmp_path / "spm.duckdb"
    mart(path, "mart_turnover_quarterly", [TURNOVER_ROW])
    result = run_mart("mart_turnover_quarterly", path)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "annualized_turnover_rate | warning" in md(result, "failed_expectations")


def test_a_suppressed_group_with_a_score_fails(tmp_path):
    path = tmp_path / "spm.duckdb"
    hidden = {
        **SURVEY_ROW,
        "department": "Tiny",
        "respondents": 2,
        "is_suppressed": True,
        "enps": None,
        "promoters_pct": None,
        "passives_pct": None,
        "detractors_pct": None,
        "satisfaction_avg": None,
        "engagement_favorable_pct": None,
    }
    mart(path, "mart_seller_experience", [SURVEY_ROW, hidden])
    assert run_mart("mart_seller_experience", path).passed
    mart(path, "mart_seller_experience", [SURVEY_ROW, {**hidden, "satisfaction_avg": 3.5}])
    result = run_mart("mart_seller_experience", path)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "satisfaction_avg where is_suppressed == True | error | 1 of 1 rows" in failures
    assert "Tiny" in md(result, "failing_rows_sample")


def test_statements_that_do_not_reconcile_to_their_lines_fail(tmp_path):
    path = tmp_path / "spm.duckdb"
    statement = {
        "employee_id": "E1", "rep_id": "005A", "quarter_start": date(2025, 1, 1),
        "plan_id": "P1", "quota_amount": 1000.0, "target_incentive": 100.0, "base_rate": 0.1,
        "credited_bookings": 500.0, "attainment_rate": 0.5, "gross_commission": 50.0,
        "capped_commission": 50.0, "clawback_amount": -10.0, "payout_amount": 40.0,
    }  # fmt: skip
    line = {
        "employee_id": "E1",
        "rep_id": "005A",
        "quarter_start": date(2025, 1, 1),
        "opportunity_id": "006A",
        "line_type": "booking",
        "credited_amount": 500.0,
        "cumulative_before": 0.0,
        "cumulative_after": 500.0,
        "commission_amount": 50.0,
    }
    clawback = {**line, "opportunity_id": "006B", "line_type": "clawback",
                "credited_amount": -100.0, "cumulative_before": None, "cumulative_after": None,
                "commission_amount": -10.0}  # fmt: skip
    mart(path, "fct_commission_lines", [line, clawback])
    mart(path, "mart_commission_statements", [statement])
    assert run_mart("mart_commission_statements", path).passed
    assert run_mart("fct_commission_lines", path).passed
    mart(path, "mart_commission_statements", [{**statement, "gross_commission": 60.0}])
    result = run_mart("mart_commission_statements", path)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "reconciliation" in failures and "gross_commission, booking_lines_commission" in failures
    assert "(60.0, 50.0)" in failures


def test_a_mart_missing_a_column_fails_with_the_gx_error(tmp_path):
    path = tmp_path / "spm.duckdb"
    mart(path, "mart_pipeline_monthly", [{k: v for k, v in PIPELINE_ROW.items()
                                          if k != "win_rate"}])  # fmt: skip
    result = run_mart("mart_pipeline_monthly", path)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "Great Expectations error" in failures and "win_rate" in failures


def test_an_empty_mart_passes(tmp_path):
    path = tmp_path / "spm.duckdb"
    mart(path, "mart_pipeline_monthly", [PIPELINE_ROW])
    execute(path, "delete from marts.mart_pipeline_monthly")
    assert run_mart("mart_pipeline_monthly", path).passed


# ------------------------------------------------------------------------ runner and wiring


def test_an_expectation_that_raises_fails_as_an_error(tmp_path):
    data = pd.DataFrame({"a": [1, 2]})
    batch = gx_runner.Batch("frame", data, [warning("expect_column_values_to_be_unique",
                                                    column="nope")])  # fmt: skip
    result = gx_runner.validate("test.raising", [batch], tmp_path)
    assert not result.success
    [failure] = result.failures
    assert failure.severity == "error" and "nope" in (failure.error or "")


def test_data_docs_keep_the_newest_runs_of_a_validation(tmp_path):
    runs = [tmp_path / "suite" / "__none__" / f"2025010{n}T000000Z" for n in range(1, 5)]
    for run in runs:
        run.mkdir(parents=True)
        (run / "page.html").write_text("<html/>")
    gx_runner.prune_old_pages(runs[-1] / "page.html", keep=2)
    assert [run.exists() for run in runs] == [False, False, True, True]


def test_an_unknown_expectation_type_fails_the_check(tmp_path):
    batch = gx_runner.Batch("frame", pd.DataFrame({"a": [1]}), [error("expect_magic", column="a")])
    with pytest.raises(ValueError, match="expect_magic"):
        gx_runner.validate("test.unknown", [batch], tmp_path)


def test_every_object_and_every_mart_has_a_blocking_suite():
    mart_models = {p.stem for p in (PROJECT_ROOT / "dbt_project/models/marts").rglob("*.sql")}
    assert set(MART_SUITES) == mart_models
    assert set(RAW_SUITES) <= {obj.folder for obj in OBJECTS}
    assert set(quality_checks.RAW_CHECKS) == {obj.folder for obj in OBJECTS}
    checks = [*quality_checks.RAW_CHECKS.values(), *quality_checks.MART_CHECKS.values()]
    assert all(spec.blocking for check in checks for spec in check.check_specs)
    split = quality_checks.RAW_CHECKS["salesforce/OpportunitySplit"]
    [spec] = split.check_specs
    assert spec.asset_key == raw_asset_key("salesforce", "OpportunitySplit")
    assert raw_asset_key("salesforce", "Opportunity") in {d.asset_key for d in spec.additional_deps}


def test_every_rate_pct_and_enps_column_of_the_marts_has_a_range():
    """A new ``*_rate`` / ``*_pct`` / ``enps`` column in a mart's yml needs a range here."""
    import yaml

    for yml in (PROJECT_ROOT / "dbt_project/models/marts").rglob("_*__models.yml"):
        for model in yaml.safe_load(yml.read_text())["models"]:
            ranged = {
                e.kwargs["column"]
                for frame in mart_suite(model["name"])
                for e in frame.expectations
                if e.type == "expect_column_values_to_be_between" and e.severity == "error"
            }
            for column in model.get("columns", []):
                name = column["name"]
                if name.endswith(("_rate", "_pct")) or name == "enps":
                    assert name in ranged, (model["name"], name)


def test_the_checks_merge_into_the_code_location():
    from orchestration.definitions import defs

    merged = dg.Definitions.merge(defs, quality_checks.defs)
    dg.Definitions.validate_loadable(merged)
    graph = merged.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for check in [*quality_checks.RAW_CHECKS.values(), *quality_checks.MART_CHECKS.values()]:
        for spec in check.check_specs:
            assert spec.asset_key in keys
            assert {d.asset_key for d in spec.additional_deps} <= keys
