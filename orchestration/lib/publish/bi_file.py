"""The BI file: the warehouse's marts copied into a new DuckDB file, swapped in atomically.

BI tools read only ``$SPM_BI_DATABASE``. It is replaced by ``os.replace`` of a complete file
written beside it, so a reader sees the previous marts or the new ones, never a mix, and a
reader holding the old file open keeps its snapshot and never blocks the pipeline.
"""

import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from spm_common.schemas import MARTS_SCHEMA
from spm_common.sql import quote_ident, sql_literal

STAGING_SUFFIX = ".publishing"
# DuckDB's sidecars of the temp file: its write-ahead log and its spill folder.
SIDECAR_SUFFIXES = ("", ".wal", ".tmp")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def staging_path(bi_database: Path) -> Path:
    """A fresh temp file beside the BI file, on the same file system so the rename is atomic."""
    return bi_database.with_name(f".{bi_database.name}.{uuid.uuid4().hex}{STAGING_SUFFIX}")


def stale_staging_files(bi_database: Path) -> list[Path]:
    """Temp files (and DuckDB sidecars) an earlier publish of this BI file left when killed."""
    pattern = re.compile(
        rf"\.{re.escape(bi_database.name)}\.[0-9a-f]{{32}}{re.escape(STAGING_SUFFIX)}"
        rf"({'|'.join(re.escape(s) for s in SIDECAR_SUFFIXES)})"
    )
    if not bi_database.parent.is_dir():
        return []
    return sorted(p for p in bi_database.parent.iterdir() if pattern.fullmatch(p.name))


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def _publisher_lock(directory: Path) -> Iterator[int]:
    """Hold an exclusive lock on the BI folder; yields the folder's descriptor.

    Publishers of one folder take turns, so removing stale temp files never removes the live
    one of a concurrent run. The kernel drops the lock when the process dies, even by SIGKILL.
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def _copy_marts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, int]:
    con.execute(f"attach {sql_literal(str(warehouse))} as warehouse (read_only)")
    tables = con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = 'warehouse' and schema_name = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    if not tables:
        raise RuntimeError(
            f"{warehouse} has no tables in schema {MARTS_SCHEMA}: nothing to publish"
        )
    con.execute(f"create schema {MARTS_SCHEMA}")
    counts = {}
    for table, comment in tables:
        target = f"{MARTS_SCHEMA}.{quote_ident(table)}"
        con.execute(f"create table {target} as select * from warehouse.{target}")
        if comment:
            con.execute(f"comment on table {target} is {sql_literal(comment)}")
        for column, column_comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'warehouse' "
            "and schema_name = ? and table_name = ? and comment is not null",
            [MARTS_SCHEMA, table],
        ).fetchall():
            con.execute(
                f"comment on column {target}.{quote_ident(column)} is {sql_literal(column_comment)}"
            )
        counts[table] = con.execute(f"select count(*) from {target}").fetchone()[0]
    con.execute("detach warehouse")
    return counts


def publish_marts(
    warehouse: Path,
    bi_database: Path,
    memory_limit: str = "1GB",
    finish: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> dict[str, int]:
    """Write every table of the warehouse's marts schema to a new file and rename it into place.

    Returns the row count of each published table; ``memory_limit`` is DuckDB's for the copy.
    ``finish`` runs on the new file's connection after the copy, before the rename (the period
    close fills the lock columns of this run's locks there).
    The BI file is only ever replaced whole, by the rename: on any failure, or if the process is
    killed at any point, it is untouched, and the next publish removes the temp file left behind.
    """
    bi_database.parent.mkdir(parents=True, exist_ok=True)
    with _publisher_lock(bi_database.parent) as folder:
        _remove(stale_staging_files(bi_database))
        staging = staging_path(bi_database)
        try:
            with duckdb.connect(str(staging), config={"memory_limit": memory_limit}) as con:
                counts = _copy_marts(con, warehouse)
                if finish is not None:
                    finish(con)
                con.execute("checkpoint")
            _fsync(staging)
            os.replace(staging, bi_database)
            os.fsync(folder)
        finally:
            _remove(staging.with_name(staging.name + suffix) for suffix in SIDECAR_SUFFIXES)
    return counts


def published_counts(bi_database: Path) -> list[tuple[str, int]]:
    """Each published table of ``bi_database`` and its row count, by name."""
    with duckdb.connect(str(bi_database), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1",
            [MARTS_SCHEMA],
        ).fetchall()
        return [
            (t, con.execute(f"select count(*) from {MARTS_SCHEMA}.{quote_ident(t)}").fetchone()[0])
            for (t,) in tables
        ]
