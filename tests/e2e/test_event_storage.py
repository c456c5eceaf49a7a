"""The instance's event log (orchestration/lib/dagster/event_storage.py): Dagster's SQLite
storage with its connections kept open. Same files and answers as Dagster's own class, fewer
connections."""

import os
import shutil

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.lib.dagster import event_storage
from orchestration.lib.dagster.event_storage import MAX_ENGINES, PooledSqliteEventLogStorage
from spm_common.paths import PROJECT_ROOT


@dg.asset
def numbers() -> int:
    return 1


@dg.asset_check(asset=numbers)
def numbers_are_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([numbers], instance=instance, selection=None)
    assert result.success
    return result.run_id


def test_the_project_instance_uses_the_pooled_storage_in_dagsters_folder(home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_id = materialize(instance)
    assert (home / "history" / "runs" / f"{run_id}.db").exists()
    assert (home / "history" / "runs" / "index.db").exists()


def test_events_read_back_alike_through_dagsters_own_class(home):
    with dg.DagsterInstance.get() as instance:
        defs_run = dg.materialize([numbers, numbers_are_positive], instance=instance)
        assert defs_run.success
        records = instance.get_records_for_run(defs_run.run_id, limit=1000).records
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [numbers_are_positive.check_key]
        )
    # Dagster's stock class on the same folder sees the same rows (same files, same schema).
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    stock_records = stock.get_records_for_run(defs_run.run_id, limit=1000).records
    assert [r.storage_id for r in stock_records] == [r.storage_id for r in records]
    assert stock.get_asset_records([numbers.key])[0].asset_entry.last_materialization
    assert checks[numbers_are_positive.check_key].status.value == "SUCCEEDED"


def test_connections_are_kept_bounded_and_do_not_fsync_every_commit(home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        runs = [materialize(instance) for _ in range(MAX_ENGINES + 2)]
        assert len(storage._engines) <= MAX_ENGINES
        with storage.run_connection(runs[-1]) as conn:
            # 1 = NORMAL: a WAL commit does not wait for an fsync
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        # every run, including those whose engine was closed, is still readable
        for run_id in runs:
            assert instance.get_records_for_run(run_id).records


def test_wipe_closes_connections_and_the_storage_keeps_working(home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        first = materialize(instance)
        storage.wipe()
        # the run shards' files are gone and so are their connections (the index is emptied)
        assert [shard for _, shard in storage._engines] == ["index"]
        assert not instance.get_records_for_run(first).records
        second = materialize(instance)
        assert instance.get_records_for_run(second).records


def test_without_dagster_home_the_error_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(RuntimeError, match="DAGSTER_HOME"):
        event_storage.default_base_dir()


def test_instance_at_opens_a_home_from_outside_and_restores_the_environment(home, monkeypatch):
    with dg.DagsterInstance.get() as instance:
        run_id = materialize(instance)
    monkeypatch.delenv("DAGSTER_HOME")
    with event_storage.instance_at(home) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert instance.get_records_for_run(run_id).records
    assert "DAGSTER_HOME" not in os.environ
