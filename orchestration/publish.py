"""Publish: copy the warehouse's marts into a new BI file and swap it in atomically.

BI tools read only ``$SPM_BI_DATABASE``. It is replaced by ``os.replace`` of a complete file
written beside it, so a reader sees the previous marts or the new ones, never a mix, and a
reader holding the old file open keeps its snapshot and never blocks the pipeline.

Dagster gates an asset on the failed blocking checks of the assets it reads, and transitively on
whatever those gates skip; it does not gate on a check of an asset built inside the same step as
its inputs (every dbt model is one step). ``publish`` therefore also refuses, at run time, when a
blocking check of its run failed or has not reported yet.
"""

import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.dbt_assets import spm_dbt_models
from orchestration.resources import SpmSettings, duckdb_memory_limit

MARTS_SCHEMA = "marts"
STAGING_SUFFIX = ".publishing"
# DuckDB's sidecars of the temp file: its write-ahead log and its spill folder.
SIDECAR_SUFFIXES = ("", ".wal", ".tmp")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
    con.execute(f"attach {_literal(str(warehouse))} as warehouse (read_only)")
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
        target = f"{MARTS_SCHEMA}.{_quote(table)}"
        con.execute(f"create table {target} as select * from warehouse.{target}")
        if comment:
            con.execute(f"comment on table {target} is {_literal(comment)}")
        for column, column_comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'warehouse' "
            "and schema_name = ? and table_name = ? and comment is not null",
            [MARTS_SCHEMA, table],
        ).fetchall():
            con.execute(
                f"comment on column {target}.{_quote(column)} is {_literal(column_comment)}"
            )
        counts[table] = con.execute(f"select count(*) from {target}").fetchone()[0]
    con.execute("detach warehouse")
    return counts


def publish_marts(warehouse: Path, bi_database: Path) -> dict[str, int]:
    """Write every table of the warehouse's marts schema to a new file and rename it into place.

    Returns the row count of each published table. The BI file is only ever replaced whole, by
    the rename: on any failure, or if the process is killed at any point, it is untouched, and
    the next publish removes the temp file left behind.
    """
    bi_database.parent.mkdir(parents=True, exist_ok=True)
    with _publisher_lock(bi_database.parent) as folder:
        _remove(stale_staging_files(bi_database))
        staging = staging_path(bi_database)
        try:
            with duckdb.connect(
                str(staging), config={"memory_limit": duckdb_memory_limit()}
            ) as con:
                counts = _copy_marts(con, warehouse)
                con.execute("checkpoint")
            _fsync(staging)
            os.replace(staging, bi_database)
            os.fsync(folder)
        finally:
            _remove(staging.with_name(staging.name + suffix) for suffix in SIDECAR_SUFFIXES)
    return counts


def blocking_check_problems(
    evaluations: Iterable[dg.AssetCheckEvaluation],
    planned: Iterable[dg.AssetCheckKey],
    blocking: Mapping[dg.AssetCheckKey, bool],
    upstream: set[dg.AssetKey],
) -> list[str]:
    """Why the marts must not be published, one line per blocking check; empty when none.

    ``evaluations`` are the run's results so far, in order (a later one wins); ``planned`` the
    checks the run executes, ``blocking`` their specs' flag and ``upstream`` the assets publish
    is built from. A planned blocking check of an upstream asset without a result yet has not
    run before publish (or its step failed): it must not be skipped silently.
    """
    latest = {evaluation.asset_check_key: evaluation for evaluation in evaluations}
    problems = [
        f"{key.to_user_string()} failed"
        for key, evaluation in latest.items()
        if not evaluation.passed
        and evaluation.severity == dg.AssetCheckSeverity.ERROR
        and (evaluation.blocking or blocking.get(key, False))
    ]
    problems += [
        f"{key.to_user_string()} has no result in this run"
        for key in dict.fromkeys(planned)
        if key not in latest and blocking.get(key, False) and key.asset_key in upstream
    ]
    return sorted(problems)


def _records(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def run_blocking_check_problems(context: dg.AssetExecutionContext) -> list[str]:
    """``blocking_check_problems`` of the current run, read from the Dagster instance."""
    run_id = context.run.run_id
    graph = context.job_def.asset_layer.asset_graph
    planned = [
        dg.AssetCheckKey(event.asset_key, event.check_name)
        for event in _records(
            context.instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        )
    ]
    upstream = set().union(*(graph.get_ancestor_asset_keys(key) for key in context.assets_def.keys))
    return blocking_check_problems(
        evaluations=_records(context.instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        planned=planned,
        blocking={key: graph.get_check_spec(key).blocking for key in graph.asset_check_keys},
        upstream=upstream,
    )


MART_KEYS = [spec.key for spec in spm_dbt_models.specs if spec.group_name == MARTS_SCHEMA]


@dg.asset(
    key="publish",
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "Copies schema `marts` of the working DuckDB into a new file and atomically renames it "
        "over `$SPM_BI_DATABASE`. Runs only after every upstream asset and blocking check of "
        "the run passed; refuses if any blocking check of the run failed."
    ),
)
def publish(context: dg.AssetExecutionContext, settings: SpmSettings) -> dg.MaterializeResult:
    problems = run_blocking_check_problems(context)
    if problems:
        raise dg.Failure(
            description=(
                f"Not published, {settings.bi_database_path} is unchanged: blocking checks of "
                "this run did not pass:\n" + "\n".join(f"- {p}" for p in problems)
            ),
            metadata={"blocking_checks": dg.MetadataValue.json(problems)},
            allow_retries=False,
        )
    counts = publish_marts(settings.warehouse_path, settings.bi_database_path)
    context.log.info(f"published {len(counts)} tables to {settings.bi_database_path}")
    return dg.MaterializeResult(
        metadata={
            "bi_database": dg.MetadataValue.path(str(settings.bi_database_path)),
            "tables": dg.MetadataValue.json(counts),
            "dagster/row_count": sum(counts.values()),
        }
    )


defs = dg.Definitions(assets=[publish])
