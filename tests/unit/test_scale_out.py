"""The scale-out helpers without Spark: raw as Parquet datasets, and comparing marts."""

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.scale_out import main
from orchestration.lib.scale_out.compare import compare_marts, export_raw

RAW_TABLES = {
    "salesforce__opportunity": """
        select * from (values
            ('006A', 'Won', 1234.56::decimal(18, 2), 90.0::double, true,
             date '2026-03-31', timestamp '2026-03-31 23:59:59.123456', 2::bigint),
            ('006B', NULL, NULL, NULL, false, NULL, NULL, 3::bigint)
        ) as t("Id", "StageName", "Amount", "Probability", "IsWon",
               "CloseDate", "SystemModstamp", _source_line)
    """,
    "survey__responses": """
        select 'r1' as response_id, 7::integer as score
        union all select 'r2', 10
        union all select 'r3', NULL
    """,
}


def make_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create schema audit")
        con.execute("create table audit.rejected_rows as select 1 as n")
        for table, select in RAW_TABLES.items():
            con.execute(f"create table raw.{table} as {select}")
    return path


def parquet_types(dataset: Path) -> dict[str, str]:
    with duckdb.connect() as con:
        return dict(
            con.execute(
                f"select column_name, column_type from (describe select * from "
                f"read_parquet('{dataset}/*.parquet'))"
            ).fetchall()
        )


def test_export_writes_one_parquet_dataset_per_raw_table(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb")
    exported = export_raw(warehouse, tmp_path / "raw")

    assert {(e.table, e.rows) for e in exported} == {
        ("salesforce__opportunity", 2),
        ("survey__responses", 3),
    }
    # Only raw, one folder per table, nothing half-written left beside them.
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [
        "salesforce__opportunity",
        "survey__responses",
    ]
    opportunity = tmp_path / "raw" / "salesforce__opportunity"
    assert parquet_types(opportunity) == {
        "Id": "VARCHAR",
        "StageName": "VARCHAR",
        "Amount": "DECIMAL(18,2)",
        "Probability": "DOUBLE",
        "IsWon": "BOOLEAN",
        "CloseDate": "DATE",
        "SystemModstamp": "TIMESTAMP",
        "_source_line": "BIGINT",
    }
    assert parquet_types(tmp_path / "raw" / "survey__responses") == {
        "response_id": "VARCHAR",
        "score": "INTEGER",
    }
    with duckdb.connect() as con:
        rows = con.execute(
            f"select * from read_parquet('{opportunity}/*.parquet') order by 1"
        ).fetchall()
    assert rows[0][:3] == ("006A", "Won", Decimal("1234.56"))
    assert str(rows[0][6]) == "2026-03-31 23:59:59.123456"
    assert rows[1][1:4] == (None, None, None)


def test_export_replaces_an_earlier_export(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb")
    out = tmp_path / "raw"
    export_raw(warehouse, out)
    (out / "survey__responses" / "stale.parquet").write_bytes(b"old")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.survey__responses where score is null")
    exported = {e.table: e.rows for e in export_raw(warehouse, out)}

    assert exported["survey__responses"] == 2
    assert [p.name for p in (out / "survey__responses").iterdir()] == ["part-0.parquet"]


def test_export_of_a_warehouse_without_raw_tables_fails(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        con.execute("create schema raw")
    with pytest.raises(ValueError, match="no tables"):
        export_raw(tmp_path / "empty.duckdb", tmp_path / "raw")


def make_marts(path: Path, amount: str, rate: str) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.mart_x as select * from (values "
            f"('a', {amount}::decimal(18, 2), {rate}::double), ('b', 1.00, NULL)) "
            f"as t(rep_id, amount, rate)"
        )
    return path


def test_compare_marts_accepts_equal_marts_within_tolerance(tmp_path):
    expected = make_marts(tmp_path / "expected.duckdb", "10.10", "0.1")
    # The other engine's marts: a different float rounding, same values to 1e-9.
    other = make_marts(tmp_path / "other.duckdb", "10.10", "0.10000000000000002")
    export_raw(other, tmp_path / "other_marts", schema="marts")

    assert compare_marts(expected, tmp_path / "other_marts") == {"mart_x": 2}
    assert (
        main(
            [
                "compare-marts",
                "--warehouse",
                str(expected),
                "--spark-marts",
                str(tmp_path / "other_marts"),
            ]
        )
        == 0
    )


def test_compare_marts_names_each_difference(tmp_path):
    expected = make_marts(tmp_path / "expected.duckdb", "10.10", "0.1")
    other = make_marts(tmp_path / "other.duckdb", "10.11", "0.1001")
    export_raw(other, tmp_path / "other_marts", schema="marts")

    with pytest.raises(AssertionError) as failure:
        compare_marts(expected, tmp_path / "other_marts")
    message = str(failure.value)
    assert "mart_x: row 1, amount: Decimal('10.11') != Decimal('10.10')" in message
    assert "mart_x: row 1, rate: 0.1001 != 0.1" in message


def test_export_raw_cli(tmp_path, capsys):
    warehouse = make_warehouse(tmp_path / "wh.duckdb")
    assert main(["export-raw", "--warehouse", str(warehouse), "--out", str(tmp_path / "p")]) == 0
    assert "survey__responses" in capsys.readouterr().out
    assert (tmp_path / "p" / "survey__responses" / "part-0.parquet").is_file()
