"""Publish swaps a complete file in atomically and leaves the BI file alone on failure."""

import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt.assets import models_in_schema
from orchestration.defs.publish.assets import blocking_check_problems, publish
from orchestration.defs.resources import SpmSettings
from orchestration.lib.publish.bi_file import publish_marts

PUBLISHED_KEYS = models_in_schema("marts")


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


def test_publish_removes_temp_files_a_killed_publish_left_and_nothing_else(tmp_path):
    warehouse, bi = tmp_path / "wh.duckdb", tmp_path / "bi" / "spm.duckdb"
    make_warehouse(warehouse, 1)
    bi.parent.mkdir()
    stale = f".spm.duckdb.{'0123456789abcdef' * 2}.publishing"
    (bi.parent / stale).write_bytes(b"half a database")
    (bi.parent / f"{stale}.wal").write_bytes(b"half a log")
    (bi.parent / f"{stale}.tmp").mkdir()
    kept = [
        f".other.duckdb.{'0' * 32}.publishing",  # another BI file's
        ".spm.duckdb.not-a-uuid.publishing",
        "spm.duckdb.publishing",
        f".spm.duckdb.{'0' * 32}.publishing.bak",
    ]
    for name in kept:
        (bi.parent / name).write_bytes(b"not ours")
    publish_marts(warehouse, bi)
    assert read(bi) == [(1,)]
    assert sorted(p.name for p in bi.parent.iterdir()) == sorted([*kept, "spm.duckdb"])


def evaluation(name: str, passed: bool, severity=dg.AssetCheckSeverity.ERROR, blocking=True):
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["raw", "x"]),
        check_name=name,
        passed=passed,
        severity=severity,
        blocking=blocking,
    )


def check_key(name: str, asset: str = "x") -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(["raw", asset]), name)


def test_blocking_check_problems_name_failed_and_missing_blocking_checks():
    evaluations = [
        evaluation("failed_then_passed", passed=False),
        evaluation("failed_then_passed", passed=True),
        evaluation("warn_failed", passed=False, severity=dg.AssetCheckSeverity.WARN),
        evaluation("non_blocking_failed", passed=False, blocking=False),
        evaluation("blocking_failed", passed=False),
    ]
    planned = [
        *(check_key(e.check_name) for e in evaluations),
        check_key("blocking_not_run"),
        check_key("non_blocking_not_run"),
        check_key("blocking_not_run", asset="downstream_of_publish"),
    ]
    blocking = {key: "non_blocking" not in key.name for key in planned}
    upstream = {dg.AssetKey(["raw", "x"])}
    assert blocking_check_problems(evaluations, planned, blocking, upstream) == [
        "raw/x:blocking_failed failed",
        "raw/x:blocking_not_run has no result in this run",
    ]
    assert blocking_check_problems([], [], {}, upstream) == []


def test_publish_refuses_when_a_blocking_check_dagster_does_not_gate_it_on_failed(tmp_path):
    """A check on an asset built in the same step as the marts (every dbt model is one step)
    does not gate publish in Dagster: publish runs, so it must refuse by itself."""
    warehouse, bi = tmp_path / "wh.duckdb", tmp_path / "bi.duckdb"
    make_warehouse(warehouse, 1)
    publish_marts(warehouse, bi)
    before = bi.read_bytes()
    make_warehouse(warehouse, 2)
    intermediate = dg.AssetKey(["intermediate", "int_x"])

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(intermediate),
            *(dg.AssetSpec(k, deps=[intermediate]) for k in PUBLISHED_KEYS),
        ]
    )
    def models():
        yield dg.MaterializeResult(asset_key=intermediate)
        for key in PUBLISHED_KEYS:
            yield dg.MaterializeResult(asset_key=key)

    @dg.asset_check(asset=intermediate, blocking=True)
    def credits_add_up():
        return dg.AssetCheckResult(passed=False)

    result = dg.materialize(
        [models, publish, credits_add_up],
        resources={"settings": SpmSettings(warehouse=str(warehouse), bi_database=str(bi))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    failures = {
        e.step_key: e.step_failure_data.error.message for e in result.get_step_failure_events()
    }
    assert "intermediate/int_x:credits_add_up failed" in failures["publish"]
    assert bi.read_bytes() == before
