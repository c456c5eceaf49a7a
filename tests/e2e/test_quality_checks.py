"""The Great Expectations gate on the raw sources finds what it claims to, on hand-made
warehouses.

Raw tables are created as the loader creates them (contract types plus provenance columns).
Suites run through ``run_raw_checks``, what the one check step runs, for one object or all; a
few in-process Dagster runs show the step, blocking and subsetting. Rules about marts are dbt
tests.
"""

import importlib.util
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER
from ingestion.expectations import RAW_SUITES, error, warning
from ingestion.loader import ensure_raw_table
from orchestration.defs.quality import checks as quality_checks
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import raw_asset_key
from orchestration.lib.quality import runner as gx_runner
from spm_common.sql import quote_ident

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
    settings = SpmSettings(warehouse=str(path))
    [result] = quality_checks.run_raw_checks(settings, [OBJECTS_BY_FOLDER[folder]])
    return result


def docs_page(result: dg.AssetCheckResult) -> Path:
    return Path(unquote(urlparse(result.metadata["data_docs"].value).path))


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


def test_every_object_passes_when_empty_each_with_its_own_data_docs_page(tmp_path):
    path = tmp_path / "spm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        for obj in OBJECTS:
            ensure_raw_table(con, obj, list(obj.columns))
    results = quality_checks.run_raw_checks(SpmSettings(warehouse=str(path)), OBJECTS)
    assert [r.asset_key for r in results] == [raw_asset_key(o.source, o.name) for o in OBJECTS]
    for obj, result in zip(OBJECTS, results, strict=True):
        assert result.check_name == "great_expectations"
        assert result.passed, (obj.folder, result.description)
        assert result.metadata["rows_validated"].value["records"] == 0
        suite = quality_checks.raw_suite_name(obj)
        assert result.metadata["suite"].value == suite
        assert f"{suite}.schema" in docs_page(result).read_text()  # the suite's own page


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


def test_a_suite_that_cannot_run_fails_only_its_own_check(warehouse):
    execute(warehouse, "drop table raw.salesforce__task")
    results = quality_checks.run_raw_checks(SpmSettings(warehouse=str(warehouse)), OBJECTS)
    by_asset = {r.asset_key: r for r in results}
    task = by_asset.pop(raw_asset_key("salesforce", "Task"))
    assert not task.passed and task.severity == dg.AssetCheckSeverity.ERROR
    assert "raw.salesforce__task does not exist" in task.description
    assert all(r.passed for r in by_asset.values()), [r.description for r in by_asset.values()]
    assert len(by_asset) == len(OBJECTS) - 1


def test_an_unopenable_warehouse_fails_every_check(tmp_path):
    missing = SpmSettings(warehouse=str(tmp_path / "missing" / "spm.duckdb"))
    results = quality_checks.run_raw_checks(missing, OBJECTS[:2])
    assert [r.severity for r in results] == [dg.AssetCheckSeverity.ERROR] * 2
    assert not any(r.passed for r in results)


def test_a_data_docs_failure_leaves_the_verdicts_without_their_link(warehouse, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(quality_checks, "build_docs", broken)
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006G", Amount=-1)],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_raw("salesforce/Opportunity", warehouse)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "data_docs" not in result.metadata


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


def test_every_object_has_a_blocking_check_all_in_one_step():
    assert set(RAW_SUITES) <= {obj.folder for obj in OBJECTS}
    assert set(quality_checks.RAW_CHECK_SPECS) == {obj.folder for obj in OBJECTS}
    gate = quality_checks.raw_great_expectations
    assert gate.node_def.name == quality_checks.STEP_NAME == "raw_great_expectations"
    assert gate.check_keys == {quality_checks.check_key(obj) for obj in OBJECTS}
    assert all(spec.blocking and spec.name == "great_expectations" for spec in gate.check_specs)
    split = quality_checks.RAW_CHECK_SPECS["salesforce/OpportunitySplit"]
    assert split.asset_key == raw_asset_key("salesforce", "OpportunitySplit")
    assert raw_asset_key("salesforce", "Opportunity") in {
        d.asset_key for d in split.additional_deps
    }


def test_a_failing_check_links_its_data_docs(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006G", Amount=-1)],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_raw("salesforce/Opportunity", warehouse)
    page = docs_page(result)
    assert page.is_file() and page.suffix == ".html"
    assert page.is_relative_to(warehouse.parent / "gx_data_docs")
    assert "raw.salesforce.opportunity" in page.read_text()


def test_the_checks_merge_into_the_code_location():
    from orchestration.definitions import defs
    from orchestration.defs.automation.jobs import NIGHTLY_JOB_NAME

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    gate = quality_checks.raw_great_expectations
    assert gate.check_keys <= set(graph.asset_check_keys)
    for spec in gate.check_specs:
        assert spec.asset_key in keys
        assert {d.asset_key for d in spec.additional_deps} <= keys
    # One step for the whole gate in the nightly job (a node is a step).
    nodes = [node.name for node in defs.resolve_job_def(NIGHTLY_JOB_NAME).graph.nodes]
    assert [n for n in nodes if n.endswith("great_expectations")] == ["raw_great_expectations"]


# ------------------------------------------------------------------- in a Dagster run


def stand_in(key: dg.AssetKey) -> dg.AssetsDefinition:
    """A raw asset that loads nothing: the test's warehouse is already there."""

    @dg.asset(key=key)
    def _raw() -> None:
        pass

    return _raw


OPPORTUNITY = raw_asset_key("salesforce", "Opportunity")
TIERS = raw_asset_key("sales_ops", "comp_plan_tiers")


@dg.asset(deps=[OPPORTUNITY])
def reads_opportunities() -> None:
    pass


@dg.asset(deps=[TIERS])
def reads_tiers() -> None:
    pass


def run_gate(warehouse: Path, selection: dg.AssetSelection | None = None):
    return dg.materialize(
        [
            *(stand_in(raw_asset_key(obj.source, obj.name)) for obj in OBJECTS),
            quality_checks.raw_great_expectations,
            reads_opportunities,
            reads_tiers,
        ],
        resources={"settings": SpmSettings(warehouse=str(warehouse))},
        selection=selection,
        raise_on_error=False,
    )


def check_events(result) -> list:
    return [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]


def test_a_failing_suite_blocks_downstream_and_the_others_report_passed_from_the_same_step(
    warehouse,
):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006H", Amount=-1)],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_gate(warehouse)
    assert not result.success
    events = check_events(result)
    assert {e.step_key for e in events} == {"raw_great_expectations"}
    verdicts = {
        e.asset_check_evaluation_data.asset_key: e.asset_check_evaluation_data for e in events
    }
    assert set(verdicts) == {raw_asset_key(obj.source, obj.name) for obj in OBJECTS}
    failed = verdicts.pop(OPPORTUNITY)
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR and failed.blocking
    assert all(v.passed for v in verdicts.values())
    [failure] = result.get_step_failure_events()
    assert failure.step_key == "raw_great_expectations"
    assert "raw/salesforce/opportunity: great_expectations" in str(failure.step_failure_data.error)
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert OPPORTUNITY in materialized and reads_opportunities.key not in materialized
    # The gate is one step: when it fails, nothing downstream of any raw object runs (in the
    # pipeline every raw object's one child is the dbt step anyway).
    assert reads_tiers.key not in materialized


def test_selecting_some_raw_objects_runs_only_their_suites(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity("006H", Amount=-1)],
               file="salesforce/Opportunity/delta.csv")  # fmt: skip
    result = run_gate(warehouse, dg.AssetSelection.assets(TIERS, reads_tiers.key))
    assert result.success
    [event] = check_events(result)
    assert event.asset_check_evaluation_data.asset_key == TIERS
    assert event.asset_check_evaluation_data.passed
    assert reads_tiers.key in {e.asset_key for e in result.get_asset_materialization_events()}


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="only with PySpark installed"
)
def test_great_expectations_loads_where_pyspark_takes_the_process_for_a_doctest():
    """A run worker launched from the UI or the daemon has a main module without spec or file,
    as ``python -c`` has: there, PySpark's Spark Connect import calls ``sys.exit(0)``, and the
    raw gate's step died with SystemExit when Great Expectations imported it."""
    script = (
        "from orchestration.lib.quality import runner as gx_runner\n"
        "context = gx_runner._context('/nonexistent-docs')\n"
        "import sys\n"
        "print('gx loaded', type(context).__name__, sys.modules.get('pyspark.sql.connect'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gx loaded" in result.stdout, result.stderr[-3000:]
    # Hidden, not merely importable (with pyarrow and grpc installed PySpark would not exit).
    assert result.stdout.split()[-1] == "None", result.stdout


# ------------------------------------------------------------------------------ plan scenarios


def test_a_scenario_of_an_unknown_plan_is_an_error_naming_its_row(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "sales_ops/plan_scenarios",
               [{"scenario_id": "SC1", "scenario_name": "Richer", "plan_id": "P1"},
                {"scenario_id": "SC1", "scenario_name": "Richer", "plan_id": "P9"}])  # fmt: skip
    result = run_raw("sales_ops/plan_scenarios", warehouse)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "expect_column_values_to_be_in_set" in failures and "plan_id" in failures
    assert "P9" in failures
    rows = md(result, "failing_rows_sample")
    assert "sales_ops/plan_scenarios/plan_scenarios_full.csv" in rows and "| 3 |" in rows


def test_scenario_tiers_need_their_scenario_and_contiguous_sets_across_files(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        insert(
            con,
            "sales_ops/plan_scenarios",
            [{"scenario_id": "SC1", "scenario_name": "Richer", "plan_id": "P1"}],
        )
        insert(
            con,
            "sales_ops/plan_scenario_tiers",
            [
                {
                    "scenario_id": "SC1",
                    "plan_id": "P1",
                    "floor_attainment": 0.0,
                    "ceiling_attainment": 1.0,
                    "rate_multiplier": 1.0,
                },
                {
                    "scenario_id": "SC1",
                    "plan_id": "P1",
                    "floor_attainment": 1.0,
                    "ceiling_attainment": None,
                    "rate_multiplier": 3.0,
                },
            ],
        )
    assert run_raw("sales_ops/plan_scenario_tiers", warehouse).passed
    with duckdb.connect(str(warehouse)) as con:
        # A later file adds a tier above the open-ended one, and tiers of an unlisted scenario.
        insert(con, "sales_ops/plan_scenario_tiers",
               [{"scenario_id": "SC1", "plan_id": "P1", "floor_attainment": 2.0,
                 "rate_multiplier": 4.0},
                {"scenario_id": "SC9", "plan_id": "P1", "floor_attainment": 0.0,
                 "rate_multiplier": 1.0}],
               file="sales_ops/plan_scenario_tiers/more.csv")  # fmt: skip
    result = run_raw("sales_ops/plan_scenario_tiers", warehouse)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    failures = md(result, "failed_expectations")
    assert "previous_ceiling where tier_number > 1" in failures
    assert "listed, tiers" in failures
    assert "SC9" in md(result, "failing_rows_sample")
