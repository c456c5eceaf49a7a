"""The raw gate runs GX in DuckDB with the verdicts GX's pandas engine gives on the same rows.

A hand-made warehouse with failures spread over the table (duplicate keys far apart, failing
values of every rule kind) is validated on the warehouse (``Query`` batches, GX's SQL engine)
and, as a reference, on the same rows read into DataFrames (GX's pandas engine, the gate's
engine before issue 25): every reported count, verdict and failing row (with its file and line)
must match.
"""

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.expectations import Where, error, raw_suite, warning
from ingestion.loader import ensure_raw_table
from orchestration.defs.quality import checks as quality_checks
from orchestration.lib.quality import runner as gx_runner
from orchestration.lib.quality.frames import read_batches, warehouse_connection
from spm_common.sql import quote_ident

STAMP = datetime(2025, 3, 1, 10, 0)
STAGES = [("01J1", "Prospecting"), ("01J2", "Closed Won")]


def insert(con: duckdb.DuckDBPyConnection, folder: str, rows: list[dict], file: str) -> None:
    obj = OBJECTS_BY_FOLDER[folder]
    ensure_raw_table(con, obj, list(obj.columns))
    for line, row in enumerate(rows, start=2):
        values = {"_source_file": file, "_source_line": line, "_file_hash": "h",
                  "_loaded_at": STAMP, **row}  # fmt: skip
        con.execute(
            f"insert into raw.{obj.table} ({', '.join(quote_ident(c) for c in values)}) "
            f"values ({', '.join('?' for _ in values)})",
            list(values.values()),
        )


def opportunity(n: int, **overrides) -> dict:
    return {"Id": f"006{n:04d}", "OwnerId": "005A", "StageName": "Prospecting", "Amount": 100,
            "Probability": 10, "CloseDate": date(2025, 6, 30), "IsClosed": False,
            "IsWon": False, "ForecastCategoryName": "Pipeline", "CreatedDate": STAMP,
            "IsDeleted": False, "SystemModstamp": STAMP, **overrides}  # fmt: skip


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """60 opportunities, failures spread over the table: negative amounts (error), unknown
    stages (error), missing amounts (warning), an Id twice and one three times, the copies
    far apart."""
    path = tmp_path / "spm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        stages = [{"Id": i, "ApiName": name, "SortOrder": n, "IsClosed": n == 1, "IsWon": n == 1,
                   "ForecastCategoryName": "Pipeline", "DefaultProbability": 10,
                   "SystemModstamp": STAMP}
                  for n, (i, name) in enumerate(STAGES)]  # fmt: skip
        insert(con, "salesforce/OpportunityStage", stages, "stages.csv")
        rows = []
        for n in range(60):
            overrides = {}
            if n % 7 == 3:
                overrides["Amount"] = -n
            if n % 11 == 5:
                overrides["StageName"] = f"Bogus{n}"
            if n % 13 == 8:
                overrides["Amount"] = None
            rows.append(opportunity(n, **overrides))
        rows[45]["Id"] = rows[2]["Id"]  # a duplicate 43 rows after its twin
        rows[30]["Id"] = rows[59]["Id"] = rows[10]["Id"]  # and one three times
        insert(con, "salesforce/Opportunity", rows, "salesforce/Opportunity/full.csv")
    return path


def validate(path: Path, folder: str) -> gx_runner.SuiteResult:
    obj = OBJECTS_BY_FOLDER[folder]
    with warehouse_connection(path, "1GB") as con:
        batches = read_batches(con, obj, raw_suite(obj), {})
        return gx_runner.run_suite(quality_checks.raw_suite_name(obj), batches, path.parent)


def reported(result: gx_runner.SuiteResult) -> list[tuple]:
    """What the check reports of each failure; the failing rows as a set (order is free)."""
    return sorted(
        (
            f.frame,
            f.expectation,
            f.column,
            f.severity,
            f.observed.split(";")[0],  # "N of M rows"
            f.unexpected_count,
            f.element_count,
            rows(f.sample_rows),
        )
        for f in result.failures
    )


def rows(sample: pd.DataFrame | None) -> frozenset | None:
    if sample is None:
        return None
    return frozenset(
        tuple(None if pd.isna(v) else v for v in row) for row in sample.itertuples(index=False)
    )


def in_pandas(path: Path, folder: str) -> gx_runner.SuiteResult:
    """The same suite on the same rows, read into DataFrames and validated by GX's pandas engine."""
    obj = OBJECTS_BY_FOLDER[folder]
    with duckdb.connect(str(path), read_only=True) as con:
        batches = [
            gx_runner.Batch(b.frame, con.execute(b.data.sql).df(), b.expectations, b.row_id)
            for b in read_batches(con, obj, raw_suite(obj), {})
        ]
    return gx_runner.run_suite(quality_checks.raw_suite_name(obj), batches, path.parent)


def test_the_warehouse_reports_what_pandas_reports(warehouse):
    obj = OBJECTS_BY_FOLDER["salesforce/Opportunity"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        batches = read_batches(con, obj, raw_suite(obj), {})
    assert all(isinstance(b.data, gx_runner.Query) for b in batches)

    in_duckdb = validate(warehouse, "salesforce/Opportunity")
    reference = in_pandas(warehouse, "salesforce/Opportunity")

    assert reported(in_duckdb) == reported(reference)
    assert in_duckdb.rows == reference.rows == {"schema": 16, "records": 60}
    assert in_duckdb.evaluated == reference.evaluated
    by_rule = {(f.expectation.split("(")[0], f.column): f for f in in_duckdb.failures}
    unique = by_rule["expect_column_values_to_be_unique", "Id"]
    assert unique.severity == "error" and unique.unexpected_count == 5  # 2 + 3 rows
    assert set(unique.sample_rows["_source_line"]) == {4, 47, 12, 32, 61}
    assert set(unique.sample_rows["_source_file"]) == {"salesforce/Opportunity/full.csv"}
    amount = by_rule["expect_column_values_to_be_between", "Amount"]
    assert amount.unexpected_count == len([n for n in range(60) if n % 7 == 3 and n % 13 != 8])
    assert by_rule["expect_column_values_to_not_be_null", "Amount"].severity == "warning"
    assert by_rule["expect_column_values_to_be_in_set", "StageName"].unexpected_count == 5


def test_the_check_result_and_data_docs_of_the_warehouse_run(warehouse):
    [result] = quality_checks.run_raw_checks(
        quality_checks.SpmSettings(warehouse=str(warehouse)),
        [OBJECTS_BY_FOLDER["salesforce/Opportunity"]],
    )
    assert not result.passed and result.severity.value == "ERROR"
    assert result.metadata["rows_validated"].value == {"schema": 16, "records": 60}
    assert result.metadata["failed_error_level"].value == 3  # Amount, StageName, Id
    assert "full.csv | 47" in result.metadata["failing_rows_sample"].value
    page = Path(result.metadata["data_docs"].value.removeprefix("file://")).read_text()
    assert "raw.salesforce.opportunity.records" in page and "Bogus5" in page


RULES = [
    error("expect_column_values_to_not_be_null", column="a"),
    error("expect_column_values_to_be_null", column="a", row_condition=(Where("m", "==", 6),)),
    error("expect_column_values_to_be_between", column="n", min_value=0, max_value=10),
    error("expect_column_values_to_be_in_set", column="k", value_set=["x", "y"]),
    error("expect_column_values_to_be_in_set", column="k", value_set=["x", "y"], mostly=0.5),
    error("expect_column_values_to_be_unique", column="k"),
    error("expect_compound_columns_to_be_unique", column_list=["k", "a"]),
    error(
        "expect_column_pair_values_a_to_be_greater_than_b",
        column_A="n",
        column_B="m",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    ),
    error(
        "expect_column_pair_values_to_be_equal",
        column_A="n",
        column_B="m",
        ignore_row_if="either_value_is_missing",
    ),
    error(
        "expect_column_values_to_not_be_null",
        column="a",
        row_condition=(Where("n", ">", 2), Where("m", "is not null")),
    ),
    warning("expect_column_values_to_be_between", column="m", min_value=1, max_value=None),
    error("expect_column_values_to_not_be_null", column="missing"),
]


def test_every_rule_kind_gives_the_pandas_verdict_in_duckdb(tmp_path):
    """Each expectation kind the suites use, failing and passing, NULLs and row conditions."""
    path = tmp_path / "rules.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table t as select * from (values "
            "('x', 'p', 1, 1, 'f.csv', 2), ('x', 'p', 12, 11, 'f.csv', 3), "
            "('y', null, 3, null, 'f.csv', 4), ('z', 'q', -1, 0, 'f.csv', 5), "
            "('z', null, 5, 6, 'g.csv', 2), ('y', 'r', null, 2, 'g.csv', 3)"
            ") as v(k, a, n, m, _source_file, _source_line)"
        )
    row_id = ("_source_file", "_source_line")
    with duckdb.connect(str(path), read_only=True) as con:
        query = gx_runner.Query(
            "select * from t", [d[0] for d in con.sql("from t").description], con
        )
        in_duckdb = gx_runner.run_suite(
            "rules", [gx_runner.Batch("t", query, RULES, row_id)], tmp_path
        )
        frame = con.execute("select * from t").df()
    reference = gx_runner.run_suite("rules", [gx_runner.Batch("t", frame, RULES, row_id)], tmp_path)

    assert reported(in_duckdb) == reported(reference)
    failed = {f.expectation.split("(")[0] + " " + f.column: f for f in in_duckdb.failures}
    assert len(in_duckdb.failures) == 10  # all but the "mostly" rule and the conditional NULL
    assert failed["expect_column_values_to_not_be_null missing"].error  # cannot run: an error
    pair = failed["expect_column_pair_values_a_to_be_greater_than_b n, m"]
    assert rows(pair.sample_rows) == {("f.csv", 5, -1, 0), ("g.csv", 2, 5, 6)}  # NULLs ignored
    unique = failed["expect_column_values_to_be_unique k"]
    assert unique.unexpected_count == 6 and len(unique.sample_rows) == 6
    conditional = failed["expect_column_values_to_not_be_null a where n > 2 and m is not null"]
    assert rows(conditional.sample_rows) == {("g.csv", 2, None)}


def test_without_a_persisted_duckdb_connection_gx_cannot_evaluate(warehouse, monkeypatch):
    """Why ``persist_duckdb_connections`` exists: when GX evaluates on DuckDB without it, and
    this test fails, GX has fixed its SQL engine and the workaround can go."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    gx_runner.gx()
    stock = tuple(d for d in engine._PERSISTED_CONNECTION_DIALECTS if d != "duckdb")
    monkeypatch.setattr(engine, "_PERSISTED_CONNECTION_DIALECTS", stock)
    monkeypatch.setattr(gx_runner, "persist_duckdb_connections", lambda: None)
    monkeypatch.setattr(gx_runner, "_bound", {})
    result = validate(warehouse, "salesforce/Opportunity")
    errors = [f for f in result.failures if f.frame == "records"]
    assert errors and all("list index out of range" in (f.error or "") for f in errors)


def test_a_suite_with_nothing_new_reports_its_kept_verdict(warehouse):
    settings = quality_checks.SpmSettings(warehouse=str(warehouse))
    objects = [OBJECTS_BY_FOLDER["salesforce/Opportunity"]]
    [first] = quality_checks.run_raw_checks(settings, objects)
    [again] = quality_checks.run_raw_checks(settings, objects)
    assert "unchanged" not in first.metadata and "unchanged" in again.metadata
    assert (again.passed, again.severity) == (first.passed, first.severity)
    for key in ("failed_expectations", "failing_rows_sample", "rows_validated", "data_docs"):
        assert again.metadata[key] == first.metadata[key]
    assert again.description.endswith(first.description)

    # A new row (a new file) is something new: validated again, and the verdict follows it.
    with duckdb.connect(str(warehouse)) as con:
        insert(con, "salesforce/Opportunity", [opportunity(99, Amount=-5)], "delta.csv")
    [after] = quality_checks.run_raw_checks(settings, objects)
    assert "unchanged" not in after.metadata
    assert "delta.csv" in after.metadata["failing_rows_sample"].value

    # A value set's object counts too: a stage added there changes the Opportunity suite.
    [kept] = quality_checks.run_raw_checks(settings, objects)
    assert "unchanged" in kept.metadata
    with duckdb.connect(str(warehouse)) as con:
        stage = {"Id": "01J9", "ApiName": "Bogus5", "SortOrder": 9, "IsClosed": False,
                 "IsWon": False, "ForecastCategoryName": "Pipeline", "DefaultProbability": 10,
                 "SystemModstamp": STAMP}  # fmt: skip
        insert(con, "salesforce/OpportunityStage", [stage], "stages2.csv")
    [stages] = quality_checks.run_raw_checks(settings, objects)
    assert "unchanged" not in stages.metadata
    stage_rule = "| StageName | error | {} of 61 rows"
    assert stage_rule.format(5) in after.metadata["failed_expectations"].value
    assert stage_rule.format(4) in stages.metadata["failed_expectations"].value  # Bogus5 known

    # A kept verdict whose Data Docs page is gone is validated again, for its page.
    Path(stages.metadata["data_docs"].value.removeprefix("file://")).unlink()
    [paged] = quality_checks.run_raw_checks(settings, objects)
    assert "unchanged" not in paged.metadata
