"""An object's landing files brought into its raw table, in one transaction per object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.contract import PROVENANCE_COLUMNS, SourceObject
from ingestion.landing import object_files
from ingestion.loader.audit import (
    FileRejection,
    ensure_audit_tables,
    forget_file,
    previous_outcomes,
    record_loaded_file,
    record_rejected_file,
)
from ingestion.loader.judge import StagedFile, judge_file
from ingestion.loader.values import typed_expression
from spm_common.fingerprints import file_sha256
from spm_common.schemas import RAW_SCHEMA
from spm_common.sql import quote_ident


@dataclass
class ObjectLoadResult:
    """What one object's load did, for asset metadata and tests."""

    folder: str
    table: str
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_rejected: list[FileRejection] = field(default_factory=list)
    files_still_rejected: list[str] = field(default_factory=list)  # unchanged since rejected
    rows_loaded: int = 0
    rows_rejected: int = 0
    table_rows: int = 0


def ensure_raw_table(con: duckdb.DuckDBPyConnection, obj: SourceObject, header: list[str]) -> None:
    """Create the raw table with the contract's columns; add a column it lacks (an optional
    contract column with its type, any other column of a file as VARCHAR)."""
    table = f"{RAW_SCHEMA}.{obj.table}"
    columns = {**obj.typed_columns, **PROVENANCE_COLUMNS}
    ddl = ", ".join(f"{quote_ident(name)} {dtype}" for name, dtype in columns.items())
    con.execute(f"create table if not exists {table} ({ddl})")
    existing = {
        row[0].lower()
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, obj.table],
        ).fetchall()
    }
    for name in header:
        if name.lower() not in existing:
            # An optional column new to the contract since the table was made gets its type.
            dtype = obj.typed_columns.get(name, "VARCHAR")
            con.execute(f"alter table {table} add column {quote_ident(name)} {dtype}")
            existing.add(name.lower())


def insert_file(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, staged: StagedFile, now: datetime
) -> None:
    select = ", ".join(
        f"{typed_expression(name, obj.typed_columns.get(name, 'VARCHAR'), obj.source)} "
        f"as {quote_ident(name)}"
        for name in staged.header
    )
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{obj.table} by name
        select {select}, ? as _source_file, _source_line, ? as _file_hash, ? as _loaded_at
        from {staged.landing}
        """,
        [staged.rel, staged.file_hash, now],
    )
    file = (staged.rel, staged.file_hash, staged.rows, staged.rejected)
    record_loaded_file(con, obj, file, staged.rejects, now)


UNSETTLED_PREFIX = "unsettled:"


def changed_since_listed(path: Path, listed: os.stat_result, file_hash: str) -> str | None:
    """What changed in the file since the run listed it (size, modification time, content, or
    the file is gone), or None: a file written in place while it loads is not loaded."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return "presence (it was removed)"
    if now.st_size != listed.st_size:
        return f"size ({listed.st_size:,} -> {now.st_size:,} bytes)"
    if now.st_mtime_ns != listed.st_mtime_ns:
        return "modification time"
    if file_sha256(path) != file_hash:
        return "content (SHA-256)"
    return None


def load_object(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, obj: SourceObject
) -> ObjectLoadResult:
    """Bring ``raw.<table>`` in line with the object's landing files, in one transaction.

    Bad input is quarantined (see the module docstring); only errors outside the data, such as
    an unreadable landing folder or a full disk, raise.
    """
    result = ObjectLoadResult(folder=obj.folder, table=f"{RAW_SCHEMA}.{obj.table}")
    now = datetime.now(UTC).replace(tzinfo=None)
    files = object_files(landing_dir, obj)
    # Timestamps without an offset are UTC (sources contract), whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    ensure_audit_tables(con)
    previous = previous_outcomes(con, obj)
    judged: list[tuple[str, StagedFile | FileRejection]] = []
    present = set()
    try:
        for number, path in enumerate(files):
            rel = path.relative_to(landing_dir).as_posix()
            present.add(rel)
            listed = path.stat()
            file_hash = file_sha256(path)
            before = previous.get(rel)
            if before and before[0] == file_hash:
                (result.files_still_rejected if before[1] else result.files_skipped).append(rel)
                continue
            outcome = judge_file(con, obj, path, rel, file_hash, number)
            changed = changed_since_listed(path, listed, file_hash)
            if changed is not None:
                # Recorded under a hash no content has: the next run judges the file again.
                outcome = FileRejection(
                    rel,
                    f"still being written: its {changed} changed while this run loaded it; "
                    "nothing of it is loaded, and the next run loads it whole",
                )
                file_hash = f"{UNSETTLED_PREFIX}{file_hash}"
            judged.append((file_hash, outcome))
        con.execute("begin transaction")
        try:
            ensure_raw_table(con, obj, list(obj.typed_columns))
            _apply(con, obj, judged, now, result)
            for rel in sorted(set(previous) - present):
                forget_file(con, obj, rel)
                result.files_removed.append(rel)
            result.table_rows = con.execute(f"select count(*) from {result.table}").fetchone()[0]
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        for name in ("_failures", "_csv_rejects", "_csv_scans"):
            con.execute(f"drop table if exists {name}")
        for number in range(len(files)):
            con.execute(f"drop table if exists _landing_{number}")
            con.execute(f"drop table if exists _rejects_{number}")
    return result


def _apply(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    judged: list[tuple[str, StagedFile | FileRejection]],
    now: datetime,
    result: ObjectLoadResult,
) -> None:
    for file_hash, outcome in judged:
        forget_file(con, obj, outcome.file if isinstance(outcome, FileRejection) else outcome.rel)
        if isinstance(outcome, FileRejection):
            record_rejected_file(con, obj, outcome, file_hash, now)
            result.files_rejected.append(outcome)
            continue
        ensure_raw_table(con, obj, outcome.header)
        insert_file(con, obj, outcome, now)
        result.files_loaded.append(outcome.rel)
        result.rows_loaded += outcome.rows
        result.rows_rejected += outcome.rejected
