"""The raw gate validates big frames in chunks with the verdicts it gives on whole frames.

A tiny ``CHUNK_ROWS`` splits a hand-made table into many chunks, with failing rows in several of
them and duplicate keys whose rows are far apart in the table; every reported count, verdict
and failing row must match the run with one chunk.
"""

import itertools
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.expectations import error, raw_suite
from ingestion.loader import ensure_raw_table
from orchestration.defs.quality import checks as quality_checks
from orchestration.lib.quality import chunks as gx_chunks
from orchestration.lib.quality import runner as gx_runner
from orchestration.lib.quality.frames import read_batches
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
    with duckdb.connect(str(path), read_only=True) as con:
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


def test_tiny_chunks_report_what_one_chunk_reports(warehouse, monkeypatch):
    whole = validate(warehouse, "salesforce/Opportunity")
    seen: list[int] = []
    chunks = gx_chunks.chunks

    def counted(frames, part):
        for chunk in chunks(frames, part):
            seen.append(len(chunk))
            yield chunk

    monkeypatch.setattr(gx_chunks, "CHUNK_ROWS", 4)
    monkeypatch.setattr(gx_runner, "chunks", counted)
    chunked = validate(warehouse, "salesforce/Opportunity")

    assert len(seen) > 10 and max(seen) <= 4 + 2  # in chunks (one longer: a group of 3 Ids)
    assert reported(chunked) == reported(whole)
    assert chunked.rows == whole.rows == {"schema": 16, "records": 60}
    assert chunked.evaluated == whole.evaluated
    by_rule = {(f.expectation.split("(")[0], f.column): f for f in chunked.failures}
    unique = by_rule["expect_column_values_to_be_unique", "Id"]
    assert unique.severity == "error" and unique.unexpected_count == 5  # 2 + 3 rows
    assert set(unique.sample_rows["_source_line"]) == {4, 47, 12, 32, 61}
    amount = by_rule["expect_column_values_to_be_between", "Amount"]
    assert amount.unexpected_count == len([n for n in range(60) if n % 7 == 3 and n % 13 != 8])
    assert by_rule["expect_column_values_to_not_be_null", "Amount"].severity == "warning"
    assert by_rule["expect_column_values_to_be_in_set", "StageName"].unexpected_count == 5


def test_the_chunked_check_result_and_data_docs_match(warehouse, monkeypatch):
    [whole] = quality_checks.run_raw_checks(
        quality_checks.SpmSettings(warehouse=str(warehouse)),
        [OBJECTS_BY_FOLDER["salesforce/Opportunity"]],
    )
    monkeypatch.setattr(gx_chunks, "CHUNK_ROWS", 3)
    [chunked] = quality_checks.run_raw_checks(
        quality_checks.SpmSettings(warehouse=str(warehouse)),
        [OBJECTS_BY_FOLDER["salesforce/Opportunity"]],
    )
    assert (chunked.passed, chunked.severity) == (whole.passed, whole.severity)
    assert not chunked.passed and chunked.severity.value == "ERROR"
    for key in ("failed_error_level", "failed_warning_level", "expectations_evaluated"):
        assert chunked.metadata[key] == whole.metadata[key]
    assert chunked.metadata["rows_validated"] == whole.metadata["rows_validated"]
    page = Path(chunked.metadata["data_docs"].value.removeprefix("file://")).read_text()
    assert "raw.salesforce.opportunity.records" in page and "Bogus5" in page


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_chunks_never_split_a_group_and_index_rows_by_position(monkeypatch, size):
    monkeypatch.setattr(gx_chunks, "CHUNK_ROWS", size)
    keys = ["a", "a", "b", "c", "c", "c", "d", None, None, None, "e"]
    data = pd.DataFrame({"k": sorted(keys, key=lambda k: (k is None, k)), "n": range(11)})
    pieces = [data.iloc[:4], data.iloc[4:9], data.iloc[9:]]  # as a reader returns them
    part = gx_chunks.Part((0,), ("k", "n"), group_by=("k",))
    out = list(gx_chunks.chunks(pieces, part))
    assert pd.concat(out)["n"].tolist() == list(range(11))
    assert [i for c in out for i in c.index] == list(range(11))
    for before, after in itertools.pairwise(out):
        last = before["k"].iloc[-1]
        assert pd.isna(last) or last != after["k"].iloc[0]  # NULLs may be split, groups not
    longest_group = 3
    assert max(len(c) for c in out) <= max(size, longest_group + size - 1)


def test_an_empty_frame_is_one_empty_chunk():
    part = gx_chunks.Part((0,), ("k",))
    [chunk] = gx_chunks.chunks([pd.DataFrame({"k": []})], part)
    assert chunk.empty and list(chunk.columns) == ["k"]


def test_plan_classifies_expectations():
    unique = error("expect_column_values_to_be_unique", column="Id")
    other_unique = error("expect_compound_columns_to_be_unique", column_list=["a", "b"])
    row = error("expect_column_values_to_be_between", column="x", min_value=0)
    mostly = error("expect_column_values_to_not_be_null", column="y", mostly=0.9)
    aggregate = error("expect_column_mean_to_be_between", column="z", min_value=0)
    parts = gx_chunks.plan([unique, row, other_unique, mostly, aggregate], ("Id", "line"))
    assert [(p.positions, p.group_by, p.whole) for p in parts] == [
        ((1, 0), ("Id",), False),  # row-level rides with the first uniqueness
        ((2,), ("a", "b"), False),
        ((3, 4), (), True),  # over the whole column: one chunk
    ]
    assert parts[0].columns == ("Id", "line", "x")
