"""Load landing CSV files into the working DuckDB's ``raw`` schema.

Every file is parsed by DuckDB's own CSV reader as text, then typed in SQL with the contract's
types. A value that does not parse sends its row to ``audit.rejected_rows`` (with file, line,
column, reason and the raw record); the other rows load. Loading is idempotent per file: a file
whose content hash was already loaded is skipped, a changed file replaces its earlier rows, and
rows of files that left the landing folder are removed, so ``raw`` mirrors the landing folder.
The landing files are only ever read.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.contract import PROVENANCE_COLUMNS, SCHEMA, SourceObject

AUDIT_SCHEMA = "audit"


class IngestionError(Exception):
    """A landing file that cannot be loaded; the message names file, line and column."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column = file, line, column
        where = file + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass
class ObjectLoadResult:
    """What one object's load did, for asset metadata and tests."""

    folder: str
    table: str
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_rejected: int = 0
    table_rows: int = 0


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: Path, rel: str) -> list[str]:
    """The header record's column names (a UTF-8 BOM is tolerated)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise IngestionError(rel, f"not UTF-8 ({exc.reason})", line=1) from exc
    if not header or not any(name.strip() for name in header):
        raise IngestionError(rel, "no header row", line=1)
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise IngestionError(rel, f"empty column name at position {position}", line=1)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise IngestionError(rel, f"duplicate columns {duplicates}", line=1)
    return header


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
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


def ensure_raw_table(con: duckdb.DuckDBPyConnection, obj: SourceObject, header: list[str]) -> None:
    """Create the raw table with the contract's columns; add any new extra column as VARCHAR."""
    table = f"{SCHEMA}.{obj.table}"
    columns = {**obj.columns, **PROVENANCE_COLUMNS}
    ddl = ", ".join(f"{quote_ident(name)} {dtype}" for name, dtype in columns.items())
    con.execute(f"create table if not exists {table} ({ddl})")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [SCHEMA, obj.table],
        ).fetchall()
    }
    for name in header:
        if name not in existing:
            con.execute(f"alter table {table} add column {quote_ident(name)} varchar")


def _typed_expression(name: str, dtype: str) -> str:
    """Empty text is NULL; text columns stay text, typed columns are cast."""
    value = f"nullif({quote_ident(name)}, '')"
    return value if dtype == "VARCHAR" else f"try_cast({value} as {dtype})"


def _stage_file(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], rel: str) -> None:
    """Parse the file as text into temp table ``_landing``, with the line each record starts on.

    A record starts one line after the previous record ended; a record spans one line plus the
    newlines quoted inside its fields.
    """
    columns = "{" + ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in header) + "}"
    newlines = " + ".join(
        f"coalesce(length({quote_ident(n)}) - length(replace({quote_ident(n)}, chr(10), '')), 0)"
        for n in header
    )
    try:
        con.execute(
            f"""
            create or replace temp table _landing as
            with parsed as (
                select *, row_number() over () as _record_number
                from read_csv(
                    {sql_literal(str(path))}, header = true, auto_detect = false,
                    delim = ',', quote = '"', escape = '"', columns = {columns},
                    strict_mode = true, null_padding = false
                )
            )
            select
                *,
                2 + coalesce(sum(1 + {newlines}) over (
                    order by _record_number rows between unbounded preceding and 1 preceding
                ), 0) as _source_line
            from parsed
            """
        )
    except duckdb.Error as exc:
        message = str(exc).split("\n\n")[0].strip()
        raise IngestionError(rel, f"unreadable CSV: {message}") from exc


def _reject_unparseable(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, header: list[str], rel: str, now: datetime
) -> int:
    """Move rows whose typed values do not parse to ``audit.rejected_rows``; return how many."""
    checks = [
        (name, dtype)
        for name, dtype in obj.columns.items()
        if dtype != "VARCHAR" and name in header
    ]
    if not checks:
        return 0
    failures = " union all ".join(
        f"""
        select _record_number, _source_line, {sql_literal(name)} as column_name,
            {quote_ident(name)} as raw_value,
            {sql_literal(f"not a valid {dtype}")} as reason
        from _landing
        where nullif({quote_ident(name)}, '') is not null
            and {_typed_expression(name, dtype)} is null
        """
        for name, dtype in checks
    )
    con.execute(f"create or replace temp table _failures as {failures}")
    rejected = con.execute("select count(distinct _record_number) from _failures").fetchone()[0]
    if rejected:
        record = ", ".join(f"{sql_literal(n)}: l.{quote_ident(n)}" for n in header)
        con.execute(
            f"""
            insert into {AUDIT_SCHEMA}.rejected_rows
            select
                ?, ?, ?, f._source_line, f.column_name, f.raw_value, f.reason,
                to_json({{{record}}})::varchar, ?
            from _failures as f
            join _landing as l using (_record_number)
            order by f._source_line, f.column_name
            """,
            [obj.source, obj.folder, rel, now],
        )
        con.execute(
            "delete from _landing where _record_number in (select _record_number from _failures)"
        )
    return rejected


def _insert_file(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    header: list[str],
    rel: str,
    file_hash: str,
    now: datetime,
) -> int:
    select = ", ".join(
        f"{_typed_expression(name, obj.columns.get(name, 'VARCHAR'))} as {quote_ident(name)}"
        for name in header
    )
    con.execute(
        f"""
        insert into {SCHEMA}.{obj.table} by name
        select {select}, ? as _source_file, _source_line, ? as _file_hash, ? as _loaded_at
        from _landing
        order by _source_line
        """,
        [rel, file_hash, now],
    )
    return con.execute("select count(*) from _landing").fetchone()[0]


def load_object(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, obj: SourceObject
) -> ObjectLoadResult:
    """Bring ``raw.<table>`` in line with the object's landing files, in one transaction."""
    result = ObjectLoadResult(folder=obj.folder, table=f"{SCHEMA}.{obj.table}")
    now = datetime.now(UTC).replace(tzinfo=None)
    folder = landing_dir / obj.folder
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    ensure_audit_tables(con)
    con.execute("begin transaction")
    try:
        ensure_raw_table(con, obj, list(obj.columns))
        loaded = dict(
            con.execute(
                f"select source_file, file_hash from {AUDIT_SCHEMA}.loaded_files "
                "where object_folder = ?",
                [obj.folder],
            ).fetchall()
        )
        present = set()
        for path in files:
            rel = path.relative_to(landing_dir).as_posix()
            present.add(rel)
            file_hash = file_sha256(path)
            if loaded.get(rel) == file_hash:
                result.files_skipped.append(rel)
                continue
            header = read_header(path, rel)
            missing = [name for name in obj.columns if name not in header]
            if missing:
                raise IngestionError(
                    rel,
                    f"required columns missing: {', '.join(missing)}",
                    line=1,
                    column=missing[0],
                )
            ensure_raw_table(con, obj, header)
            _stage_file(con, path, header, rel)
            _forget_file(con, obj, rel)
            rejected = _reject_unparseable(con, obj, header, rel, now)
            rows = _insert_file(con, obj, header, rel, file_hash, now)
            con.execute(
                f"insert into {AUDIT_SCHEMA}.loaded_files values (?, ?, ?, ?, ?, ?)",
                [obj.folder, rel, file_hash, rows, rejected, now],
            )
            result.files_loaded.append(rel)
            result.rows_loaded += rows
            result.rows_rejected += rejected
        for rel in sorted(set(loaded) - present):
            _forget_file(con, obj, rel)
            result.files_removed.append(rel)
        result.table_rows = con.execute(f"select count(*) from {result.table}").fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _landing")
        con.execute("drop table if exists _failures")
    return result


def _forget_file(con: duckdb.DuckDBPyConnection, obj: SourceObject, rel: str) -> None:
    """Remove everything an earlier load of this file left behind."""
    con.execute(f"delete from {SCHEMA}.{obj.table} where _source_file = ?", [rel])
    con.execute(f"delete from {AUDIT_SCHEMA}.loaded_files where source_file = ?", [rel])
    con.execute(f"delete from {AUDIT_SCHEMA}.rejected_rows where source_file = ?", [rel])
