"""The ``audit`` schema: which files were loaded, and what was rejected, with file and line.

- ``audit.loaded_files``: one row per landing file loaded, with its content hash and counts;
- ``audit.rejected_rows``: rows (and records the CSV reader could not split) with file, line,
  column, reason and the raw record;
- ``audit.rejected_files``: files none of which could be loaded, with the reason, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ingestion.contract import SourceObject
from spm_common.schemas import AUDIT_SCHEMA, RAW_SCHEMA


@dataclass(frozen=True)
class FileRejection:
    """Why a whole landing file was not loaded; ``str()`` names file, line and column."""

    file: str
    reason: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        return where + (f", column {self.column}" if self.column else "") + f": {self.reason}"


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {AUDIT_SCHEMA}.loaded_files (
            object_folder varchar not null,
            source_file varchar not null primary key,
            file_hash varchar not null,
            rows_loaded bigint not null,
            rows_rejected bigint not null,
            loaded_at timestamp not null
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {AUDIT_SCHEMA}.rejected_rows (
            source varchar not null,
            object_folder varchar not null,
            source_file varchar not null,
            line_number bigint,
            column_name varchar,
            raw_value varchar,
            reason varchar not null,
            raw_record varchar,
            rejected_at timestamp not null
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {AUDIT_SCHEMA}.rejected_files (
            source varchar not null,
            object_folder varchar not null,
            source_file varchar not null primary key,
            file_hash varchar not null,
            reason varchar not null,
            line_number bigint,
            column_name varchar,
            rejected_at timestamp not null
        )
        """
    )


def record_loaded_file(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    file: tuple[str, str, int, int],
    rejects: str,
    now: datetime,
) -> None:
    """A loaded file (relative path, hash, rows, rejected) and its rejected rows (temp table)."""
    rel, file_hash, rows, rejected = file
    con.execute(
        f"""
        insert into {AUDIT_SCHEMA}.rejected_rows
        select ?, ?, ?, line_number, column_name, raw_value, reason, raw_record, ?
        from {rejects}
        order by line_number, column_name
        """,
        [obj.source, obj.folder, rel, now],
    )
    con.execute(
        f"insert into {AUDIT_SCHEMA}.loaded_files values (?, ?, ?, ?, ?, ?)",
        [obj.folder, rel, file_hash, rows, rejected, now],
    )


def record_rejected_file(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    rejection: FileRejection,
    file_hash: str,
    now: datetime,
) -> None:
    con.execute(
        f"insert into {AUDIT_SCHEMA}.rejected_files values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            obj.source,
            obj.folder,
            rejection.file,
            file_hash,
            rejection.reason,
            rejection.line,
            rejection.column,
            now,
        ],
    )


def previous_outcomes(con: duckdb.DuckDBPyConnection, obj: SourceObject) -> dict[str, tuple]:
    """``(content hash, was rejected)`` of every file of the object loaded or rejected before."""
    rows = con.execute(
        f"""
        select source_file, file_hash, false from {AUDIT_SCHEMA}.loaded_files
        where object_folder = ?
        union all
        select source_file, file_hash, true from {AUDIT_SCHEMA}.rejected_files
        where object_folder = ?
        """,
        [obj.folder, obj.folder],
    ).fetchall()
    return {rel: (file_hash, rejected) for rel, file_hash, rejected in rows}


def forget_file(con: duckdb.DuckDBPyConnection, obj: SourceObject, rel: str) -> None:
    """Remove everything an earlier load or rejection of this file left behind."""
    con.execute(f"delete from {RAW_SCHEMA}.{obj.table} where _source_file = ?", [rel])
    for table in ("loaded_files", "rejected_rows", "rejected_files"):
        con.execute(f"delete from {AUDIT_SCHEMA}.{table} where source_file = ?", [rel])
