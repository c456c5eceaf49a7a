"""Dagster's SQLite event log, with its connections kept open.

Dagster's ``SqliteEventLogStorage`` creates a new SQLAlchemy engine, opens a new SQLite
connection and disposes of both for every event it writes (``_connect`` with ``NullPool``). A
run of this pipeline writes about 3,000 rows to the run's shard and the index shard (one event
per dbt test and model, planned and done), and the engine churn, not the write, is most of each
write's cost: about 4.3 ms against 1.0 ms with the engine kept, 0.7 ms without an fsync per
commit (measured on the 2-core CI machine). On near-empty data that was ten seconds of a run.

``PooledSqliteEventLogStorage`` is the same storage (same files, same schema, same WAL mode, so
an instance can switch back and forth) with SQLite's ``synchronous=NORMAL``, the setting SQLite
recommends for WAL mode, and one engine per shard kept for the life of the process: the run's
shard and the index shard while a run writes, at most ``MAX_ENGINES`` at once (least recently
used closed first, for the webserver that reads many runs). Engines are per process id, so a
forked child never shares its parent's connections. ``dagster.yaml`` selects it as
``event_log_storage``; the other storages are Dagster's defaults. It needs ``DAGSTER_HOME`` set
(the event logs live in ``$DAGSTER_HOME/history/runs``, where Dagster's default puts them).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster import DagsterInstance, Field, StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MAX_ENGINES = 8


def default_base_dir() -> str:
    """Where Dagster's default SQLite storage keeps the per-run event logs."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError("DAGSTER_HOME is not set: it holds the instance's event log")
    return os.path.join(home, "history", "runs")


@contextmanager
def instance_at(home: str | os.PathLike[str]) -> Iterator[DagsterInstance]:
    """The Dagster instance kept in ``home``, opened as its runs open it: with DAGSTER_HOME set
    to ``home`` meanwhile, which this storage reads (for tests and the benchmark, which read a
    run's events from outside it)."""
    from spm_common.settings import exported

    with exported({"DAGSTER_HOME": str(home)}), DagsterInstance.from_config(str(home)) as instance:
        yield instance


def _no_fsync_per_commit(dbapi_connection: Any, _record: Any) -> None:
    # WAL mode (Dagster's) with synchronous=NORMAL: a commit no longer waits for an fsync of the
    # WAL; the database stays consistent, and a power cut can lose the last events written.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that keeps one SQLite engine per shard (see module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[tuple[int, str], Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(config_value.get("base_dir") or default_base_dir(), inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        key = (os.getpid(), shard)
        engine = self._engines.get(key)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _no_fsync_per_commit)
            self._engines[key] = engine
            while len(self._engines) > MAX_ENGINES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        self._engines.move_to_end(key)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Same contract as the parent's: one transaction, under the storage's lock.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        # The run shards' files are deleted: close their connections first.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
