"""Publish swaps a complete file in atomically and leaves the BI file alone on failure."""

import subprocess
import sys
import textwrap

import duckdb
import pytest

from orchestration.publish import publish_marts


def make_warehouse(path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.t as select ? as v", [value])
        con.execute("comment on table marts.t is 'a mart'")
        con.execute("comment on column marts.t.v is 'the value'")
        con.execute("create schema if not exists raw")
        con.execute("create or replace table raw.secret as select 1 as x")


def read(path) -> list:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select v from marts.t").fetchall()


def test_publish_copies_only_the_marts_with_their_comments(tmp_path):
    make_warehouse(tmp_path / "wh.duckdb", 1)
    counts = publish_marts(tmp_path / "wh.duckdb", tmp_path / "bi" / "spm.duckdb")
    assert counts == {"t": 1}
    with duckdb.connect(str(tmp_path / "bi" / "spm.duckdb"), read_only=True) as con:
        assert con.execute(
            "select schema_name, table_name, comment from duckdb_tables()"
        ).fetchall() == [("marts", "t", "a mart")]
        assert con.execute(
            "select comment from duckdb_columns() where column_name = 'v'"
        ).fetchall() == [("the value",)]
    assert [p.name for p in (tmp_path / "bi").iterdir()] == ["spm.duckdb"]


def test_failed_publish_leaves_the_bi_file_byte_identical(tmp_path):
    warehouse, bi = tmp_path / "wh.duckdb", tmp_path / "bi.duckdb"
    make_warehouse(warehouse, 1)
    publish_marts(warehouse, bi)
    before = bi.read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop schema marts cascade")
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish_marts(warehouse, bi)
    assert bi.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bi.duckdb", "wh.duckdb"]


def test_open_reader_keeps_its_snapshot_and_new_readers_see_the_new_marts(tmp_path):
    warehouse, bi = tmp_path / "wh.duckdb", tmp_path / "bi.duckdb"
    make_warehouse(warehouse, 1)
    publish_marts(warehouse, bi)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                con = duckdb.connect({str(bi)!r}, read_only=True)
                print(con.execute("select v from marts.t").fetchone()[0], flush=True)
                sys.stdin.readline()
                print(con.execute("select v from marts.t").fetchone()[0], flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "1"
    make_warehouse(warehouse, 2)
    publish_marts(warehouse, bi)  # does not wait for, or disturb, the open reader
    out, _ = reader.communicate("\n", timeout=30)
    assert out.strip() == "1"
    assert read(bi) == [(2,)]
