"""Load landing CSV files into the working DuckDB's ``raw`` schema; quarantine what is broken.

Every file is parsed by DuckDB's own CSV reader as text, then typed in SQL with the contract's
types. Bad input never stops the load:

- a record the reader cannot split into the header's fields (wrong field count, a stray quote),
  a value that does not parse as its type, or a value outside the contract's enumeration goes
  to ``audit.rejected_rows`` with file, line, column, reason and the raw record; the file's other
  rows load;
- a file that cannot be read as a whole (not UTF-8, no header, a required column missing, line
  endings that change mid-file, an unterminated quote that runs to the end) goes to
  ``audit.rejected_files`` with the reason, line and column; nothing of it is loaded (rows of an
  earlier version are removed) and the object's other files still load. It is tried again when
  its content changes.

Loading is idempotent per file: a file whose content hash was already loaded (or rejected) is
skipped, a changed file replaces its earlier rows, and rows and audit rows of files that left the
landing folder are removed, so ``raw`` mirrors the landing folder. The landing files are only ever
read. One object is one transaction; every file is read and judged before it starts, because any
DuckDB error inside a transaction aborts it.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.contract import (
    EMPTY_DATES,
    ENUMERATIONS,
    PROVENANCE_COLUMNS,
    SCHEMA,
    SourceObject,
)
from ingestion.file_scan import FileScan, file_sha256, lines_at, scan_bytes

AUDIT_SCHEMA = "audit"
# DuckDB keeps at most this many characters of a rejected record; a longer one cannot be
# delimited from its text, so we cannot tell which lines the records after it start on.
CSV_LINE_LIMIT = 10_000
FIELD_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
TYPE_HINTS = {
    "BOOLEAN": "expected true or false",
    "DATE": "expected YYYY-MM-DD",
    "TIMESTAMP": "expected YYYY-MM-DDThh:mm:ss.sssZ or an ISO 8601 datetime with an offset",
    "INTEGER": "expected a whole number",
    "DOUBLE": "expected a number like 1234.5",
    "DECIMAL": "expected a number like 1234.56",
}


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


@dataclass(frozen=True)
class BrokenRecord:
    """A record DuckDB's reader could not split into the header's fields."""

    first_line: int
    last_line: int
    column: str | None
    reason: str
    raw_record: str


@dataclass
class StagedFile:
    """A landing file parsed into temp tables, waiting for the object's transaction."""

    rel: str
    file_hash: str
    header: list[str]
    landing: str  # temp table: the good records, as text, with _source_line
    rejects: str  # temp table: the rejected rows, shaped like audit.rejected_rows
    rows: int
    rejected: int


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_header(path: Path, rel: str) -> tuple[list[str], int] | FileRejection:
    """The header's column names and the lines it spans, or why it is unusable (BOM tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            return FileRejection(rel, f"unreadable header row ({exc})", line=1)
        header_lines = reader.line_num
    if header is None:
        return FileRejection(rel, "empty file: no header row", line=1)
    if not any(name.strip() for name in header):
        return FileRejection(rel, "no header row: the first line is empty", line=1)
    for position, name in enumerate(header, start=1):
        if not name.strip():
            return FileRejection(rel, f"empty column name at position {position}", line=1)
    # DuckDB's identifiers ignore case, so "Id" and "ID" would be one column.
    lowered = [name.lower() for name in header]
    duplicates = sorted({name for name in header if lowered.count(name.lower()) > 1})
    if duplicates:
        column = ", ".join(duplicates)
        return FileRejection(rel, f"duplicate columns: {column}", line=1, column=column)
    reserved = sorted(name for name in header if name.lower() in RESERVED_COLUMNS)
    if reserved:
        column = ", ".join(reserved)
        return FileRejection(rel, f"reserved column names: {column}", line=1, column=column)
    return header, header_lines


RESERVED_COLUMNS = {name.lower() for name in PROVENANCE_COLUMNS} | {"_record_number", "_span"}


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


def ensure_raw_table(con: duckdb.DuckDBPyConnection, obj: SourceObject, header: list[str]) -> None:
    """Create the raw table with the contract's columns; add any new extra column as VARCHAR."""
    table = f"{SCHEMA}.{obj.table}"
    columns = {**obj.columns, **PROVENANCE_COLUMNS}
    ddl = ", ".join(f"{quote_ident(name)} {dtype}" for name, dtype in columns.items())
    con.execute(f"create table if not exists {table} ({ddl})")
    existing = {
        row[0].lower()
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [SCHEMA, obj.table],
        ).fetchall()
    }
    for name in header:
        if name.lower() not in existing:
            con.execute(f"alter table {table} add column {quote_ident(name)} varchar")
            existing.add(name.lower())


def _typed_expression(name: str, dtype: str, source: str = "") -> str:
    """Empty text is NULL; text columns stay text, typed columns are cast (NULL if invalid).

    - TIMESTAMP: a UTC offset (``+02:00``, ``-0800``) is applied, so every value is UTC; a
      value without one (``Z`` or none) is UTC already. A plain cast would drop the offset.
    - INTEGER: whole numbers only (``60``, ``60.0``, ``6E1``); a plain cast rounds ``1.5``.
    - DATE: the source's own spelling of "no date" (``EMPTY_DATES``) is NULL.
    """
    value = _present(name, dtype, source)
    if dtype == "VARCHAR":
        return value
    if dtype == "TIMESTAMP":
        return f"timezone('UTC', try_cast({value} as timestamptz))"
    if dtype == "INTEGER":
        number = f"try_cast({value} as double)"
        return f"case when {number} = floor({number}) then try_cast({value} as integer) end"
    return f"try_cast({value} as {dtype})"


def _present(name: str, dtype: str, source: str) -> str:
    """The column's text, NULL where the source means "no value" (empty, or EMPTY_DATES)."""
    value = f"nullif({quote_ident(name)}, '')"
    if dtype == "DATE":
        for empty in EMPTY_DATES.get(source, ()):
            value = f"nullif({value}, {sql_literal(empty)})"
    return value


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    first_line: int,
    table: str,
    last_line: int,
) -> None:
    """Parse the file as text into temp ``table``; DuckDB keeps what it cannot split aside.

    ``_source_line`` is provisional: each record starts one line after the previous good record
    ended (a record spans one line plus the newlines quoted inside it). ``_shift_lines`` moves
    it past rejected records and blank lines, which the reader drops without a trace.

    Most exports have one line per record: when the good records are as many as the file's
    lines after the header, every record spans exactly one line (nothing else can fill a
    line), and the lines are numbered without counting newlines inside values.
    """
    columns = "{" + ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in header) + "}"
    con.execute("drop table if exists _csv_rejects")
    con.execute("drop table if exists _csv_scans")
    con.execute(
        f"""
        create temp table {table} as
        select *, 1 as _span, {first_line} + _record_number - 1 as _source_line
        from (
            select *, row_number() over () as _record_number
            from read_csv(
                {sql_literal(str(path))}, header = true, auto_detect = false,
                delim = ',', quote = '"', escape = '"', columns = {columns},
                strict_mode = true, null_padding = false, store_rejects = true,
                rejects_table = '_csv_rejects', rejects_scan = '_csv_scans'
            )
        )
        """
    )
    records = con.execute(f"select count(*) from {table}").fetchone()[0]
    if records == last_line - first_line + 1:
        return
    # Lines a record spans: one plus the newlines in its values (read off their concatenation).
    values = "concat_ws('', " + ", ".join(quote_ident(n) for n in header) + ")"
    con.execute(
        f"""
        create or replace temp table {table} as
        select
            * exclude (_span),
            1 + length({values}) - length(replace({values}, chr(10), '')) as _span
        from {table}
        """
    )
    # A record starts below the extra lines of the multi-line records before it.
    con.execute(
        f"""
        create or replace temp table {table} as
        with multi_line as (
            select _record_number, sum(_span - 1) over (order by _record_number) as extra
            from {table}
            where _span > 1
        )
        select
            records.* replace (
                records._source_line + coalesce(multi_line.extra, 0) as _source_line
            )
        from {table} as records
        asof left join multi_line
            on records._record_number > multi_line._record_number
        """
    )


def _broken_records(
    con: duckdb.DuckDBPyConnection, path: Path, rel: str, scan: FileScan
) -> list[BrokenRecord] | FileRejection:
    """The records the last scan rejected, at their physical lines, or why the file is lost.

    DuckDB reports each rejected record's first byte (1-based, blank lines before it included)
    and its text; its ``line`` counts records, not physical lines, so it is not used.
    """
    rows = con.execute(
        """
        select
            line_byte_position,
            arg_min(error_type, byte_position),
            arg_min(column_name, byte_position),
            arg_min(error_message, byte_position),
            any_value(csv_line)
        from _csv_rejects
        group by line_byte_position
        order by line_byte_position
        """
    ).fetchall()
    if not rows:
        return []
    starts = [
        position - 1 + len(text) - len(text.lstrip("\r\n")) for position, _, _, _, text in rows
    ]
    broken = []
    for first, (_, error, column, message, text) in zip(lines_at(path, starts), rows, strict=True):
        record = text.strip("\r\n")
        last = first + record.count("\n")
        unterminated = record.count('"') % 2 == 1
        reason = _broken_reason(error, message, first, last, unterminated)
        if len(text) >= CSV_LINE_LIMIT:
            return FileRejection(
                rel,
                f"{reason}; the broken record is longer than {CSV_LINE_LIMIT:,} characters, "
                "so the records after it cannot be delimited",
                line=first,
                column=column,
            )
        if unterminated and last > first and last >= scan.last_line:
            return FileRejection(
                rel,
                f"unterminated quote: the quoted value runs from line {first} to the end of "
                "the file, so the records after it cannot be delimited",
                line=first,
                column=column,
            )
        broken.append(BrokenRecord(first, last, column, reason, record))
    return broken


def _broken_reason(error: str, message: str, first: int, last: int, unterminated: bool) -> str:
    counts = FIELD_COUNT.search(message)
    if unterminated and last > first:
        return (
            f"unterminated quote: the quoted value took in lines {first}-{last}, up to the next "
            "quote character"
        )
    if error == "MISSING COLUMNS" and counts:
        reason = f"too few fields: expected {counts[1]}, found {counts[2]}"
    elif error == "TOO MANY COLUMNS" and counts:
        reason = f"too many fields: expected {counts[1]}, found {counts[2]} (an unquoted comma?)"
    elif error == "UNQUOTED VALUE":
        reason = "unbalanced quote: a quoted value must close with a quote before the next comma"
    else:
        reason = f"{error.lower()}: {message}"
    return reason + (f" (the record runs over lines {first}-{last})" if last > first else "")


def record_shifts(
    first_line: int,
    ends: Sequence[int],
    skipped: Sequence[tuple[int, int]],
    blank_lines: Sequence[int],
) -> list[tuple[int, int]]:
    """Where the lines of good records must move: ``(first record index, lines added)`` steps.

    ``ends`` are the last lines of the good records laid out back to back from ``first_line``;
    ``skipped`` the (first, last) physical lines of the rejected records; ``blank_lines`` the
    empty physical lines, which sit either between records (dropped by the reader) or inside a
    quoted value of a good record (already counted in its span). Walking these gaps in file
    order pushes every later record down by the gap's height.
    """
    gaps = sorted(
        [(first, last, False) for first, last in skipped] + [(b, b, True) for b in blank_lines]
    )
    steps: list[tuple[int, int]] = []
    shift = index = covered = 0
    for first, last, blank in gaps:
        if first <= covered:
            continue  # a blank line inside a rejected record
        index = bisect_left(ends, first - shift, index)  # first record not ending above the gap
        start = ends[index - 1] + 1 if index else first_line
        if blank and index < len(ends) and start + shift < first:
            continue  # a blank line inside a quoted value of that record
        shift += last - first + 1
        covered = covered if blank else last
        if steps and steps[-1][0] == index:
            steps[-1] = (index, shift)
        else:
            steps.append((index, shift))
    return steps


def _blank_lines_between_records(
    con: duckdb.DuckDBPyConnection,
    table: str,
    header: list[str],
    broken: list[BrokenRecord],
    blank_lines: list[int],
) -> list[int]:
    """The empty lines to place among the records, or none if all are inside quoted values.

    Exports with multi-paragraph text have many empty lines inside values and, as a rule,
    none between records; counting the former in SQL spares placing each one in Python.
    """
    if not blank_lines:
        return []
    inside = " + ".join(
        f"coalesce(len(list_filter(list_slice(string_split({quote_ident(n)}, chr(10)), 2, -2), "
        "lambda s: s = '' or s = chr(13))), 0)"
        for n in header
    )
    in_records = con.execute(
        f"select coalesce(sum({inside}), 0) from {table} where _span > 1"
    ).fetchone()[0]
    in_broken = sum(
        sum(1 for part in b.raw_record.split("\n")[1:-1] if part in ("", "\r")) for b in broken
    )
    return blank_lines if in_records + in_broken < len(blank_lines) else []


def _shift_lines(
    con: duckdb.DuckDBPyConnection,
    table: str,
    staged: tuple[str, list[str], int],
    broken: list[BrokenRecord],
    scan: FileScan,
) -> FileRejection | None:
    """Give the good records their physical lines; reject the file if the lines do not add up."""
    rel, header, first_line = staged
    blank_lines = _blank_lines_between_records(
        con,
        table,
        header,
        broken,
        [line for line in scan.blank_lines if first_line <= line < scan.last_line],
    )
    if broken or blank_lines:
        ends = con.execute(
            f"select _source_line + _span - 1 from {table} order by _record_number"
        ).fetchnumpy()
        skipped = [(b.first_line, b.last_line) for b in broken]
        steps = record_shifts(first_line, next(iter(ends.values())).tolist(), skipped, blank_lines)
        if steps:
            con.execute(
                f"""
                create or replace temp table {table} as
                select l.* replace (l._source_line + coalesce(s.shift, 0) as _source_line)
                from {table} as l
                asof left join (
                    select unnest(?::bigint[]) as record_number, unnest(?::bigint[]) as shift
                ) as s
                    on l._record_number >= s.record_number
                """,
                [[index + 1 for index, _ in steps], [shift for _, shift in steps]],
            )
    good_end = con.execute(f"select max(_source_line + _span - 1) from {table}").fetchone()[0]
    end = max([good_end or 0, *(b.last_line for b in broken)])
    if end and end != scan.last_line:
        # Only a reader behaviour this module does not know about gets here; loading rows with
        # wrong line numbers would send people to the wrong place, so the file waits instead.
        return FileRejection(
            rel,
            f"records could not be numbered: they end on line {end}, the file on line "
            f"{scan.last_line}; check line endings and quoting",
            line=min(end, scan.last_line),
        )
    return None


def _value_failures(obj: SourceObject, header: list[str], table: str) -> list[str]:
    """One query per checked column: the records whose value has the wrong type or is unknown."""
    queries = []
    # Optional columns with a closed value set (e.g. ``Opportunity.ForecastCategory``, which some
    # exports carry beside the required label column) are checked when a file has them.
    optional = {
        column: "VARCHAR"
        for folder, column in ENUMERATIONS
        if folder == obj.folder and column not in obj.columns
    }
    for name, dtype in {**obj.columns, **optional}.items():
        if name not in header:
            continue
        value = quote_ident(name)
        conditions = []
        if dtype != "VARCHAR":
            hint = TYPE_HINTS[dtype.split("(")[0]]
            conditions.append(
                (
                    f"{_typed_expression(name, dtype, obj.source)} is null",
                    f"not a valid {dtype}: ",
                    f"({hint})",
                )
            )
        allowed = ENUMERATIONS.get((obj.folder, name))
        if allowed:
            listed = ", ".join(sql_literal(v) for v in allowed)
            conditions.append(
                (
                    f"{value} not in ({listed})",
                    "unknown value ",
                    f"(expected one of {', '.join(allowed)})",
                )
            )
        for condition, problem, hint in conditions:
            # The reason quotes the value (cut to 80 characters) so it reads on its own.
            reason = f"{sql_literal(problem + chr(39))} || left({value}, 80) || " + sql_literal(
                f"{chr(39)} {hint}"
            )
            queries.append(
                f"select _record_number, _source_line, {sql_literal(name)} as column_name, "
                f"{value} as raw_value, {reason} as reason from {table} "
                f"where {_present(name, dtype, obj.source)} is not null and {condition}"
            )
    return queries


def _reject_rows(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    header: list[str],
    staged: tuple[str, str],
    broken: list[BrokenRecord],
) -> int:
    """Move broken records and rows with bad values into temp table ``rejects``; count them."""
    table, rejects = staged
    con.execute(
        f"""
        create temp table {rejects} as
        select
            unnest(?::bigint[]) as line_number,
            unnest(?::varchar[]) as column_name,
            null::varchar as raw_value,
            unnest(?::varchar[]) as reason,
            unnest(?::varchar[]) as raw_record
        """,
        [
            [b.first_line for b in broken],
            [b.column for b in broken],
            [b.reason for b in broken],
            [b.raw_record for b in broken],
        ],
    )
    queries = _value_failures(obj, header, table)
    if not queries:
        return len(broken)
    con.execute(f"create or replace temp table _failures as {' union all '.join(queries)}")
    failed = con.execute("select count(distinct _record_number) from _failures").fetchone()[0]
    if failed:
        record = ", ".join(f"{sql_literal(n)}: l.{quote_ident(n)}" for n in header)
        con.execute(
            f"""
            insert into {rejects}
            select
                f._source_line, f.column_name, f.raw_value, f.reason,
                to_json({{{record}}})::varchar
            from _failures as f
            join {table} as l using (_record_number)
            order by f._source_line, f.column_name
            """
        )
        con.execute(
            f"delete from {table} where _record_number in (select _record_number from _failures)"
        )
    return len(broken) + failed


def _judge_file(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    path: Path,
    rel: str,
    file_hash: str,
    number: int,
) -> StagedFile | FileRejection:
    """Read one changed file into temp tables, or say why none of it can be loaded."""
    scan = scan_bytes(path)
    if scan.undecodable_at is not None:
        offset = scan.undecodable_at
        with path.open("rb") as handle:
            handle.seek(offset)
            byte = handle.read(1)
        return FileRejection(
            rel,
            f"not UTF-8: byte 0x{byte.hex().upper()} at byte offset {offset} cannot be decoded; "
            "export the file as UTF-8",
            line=lines_at(path, [offset])[0],
        )
    header = read_header(path, rel)
    if isinstance(header, FileRejection):
        return header
    header, header_lines = header
    missing = [name for name in obj.columns if name not in header]
    if missing:
        column = ", ".join(missing)
        return FileRejection(rel, f"required columns missing: {column}", line=1, column=column)
    staged = (f"_landing_{number}", f"_rejects_{number}")
    try:
        _stage_file(con, path, header, header_lines + 1, staged[0], scan.last_line)
    except duckdb.InvalidInputException as exc:
        return _unreadable(path, rel, str(exc))
    broken = _broken_records(con, path, rel, scan)
    if isinstance(broken, FileRejection):
        return broken
    lost = _shift_lines(con, staged[0], (rel, header, header_lines + 1), broken, scan)
    if lost:
        return lost
    rejected = _reject_rows(con, obj, header, staged, broken)
    rows = con.execute(f"select count(*) from {staged[0]}").fetchone()[0]
    return StagedFile(rel, file_hash, header, *staged, rows, rejected)


def _unreadable(path: Path, rel: str, message: str) -> FileRejection:
    """Name the cause of a reader failure; in strict mode that is line endings that change."""
    endings = {b"\r\n": "CRLF", b"\n": "LF"}
    with path.open("rb") as handle:
        first = None
        for number, line in enumerate(handle, start=1):
            ending = line[-2:] if line.endswith(b"\r\n") else line[-1:]
            if b"\r" in line[: len(line) - len(ending)]:
                reason = "a carriage return (CR) inside the line"
                return FileRejection(rel, f"{reason}; export the file as plain UTF-8 CSV", number)
            first = first or endings.get(ending)
            if ending in endings and endings[ending] != first:
                reason = f"line endings change from {first} to {endings[ending]}"
                return FileRejection(rel, f"{reason}; export the file with one kind", number)
    return FileRejection(rel, "unreadable CSV: " + message.split("\n")[0].strip())


def _insert_file(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, staged: StagedFile, now: datetime
) -> None:
    select = ", ".join(
        f"{_typed_expression(name, obj.columns.get(name, 'VARCHAR'), obj.source)} "
        f"as {quote_ident(name)}"
        for name in staged.header
    )
    con.execute(
        f"""
        insert into {SCHEMA}.{obj.table} by name
        select {select}, ? as _source_file, _source_line, ? as _file_hash, ? as _loaded_at
        from {staged.landing}
        """,
        [staged.rel, staged.file_hash, now],
    )
    con.execute(
        f"""
        insert into {AUDIT_SCHEMA}.rejected_rows
        select ?, ?, ?, line_number, column_name, raw_value, reason, raw_record, ?
        from {staged.rejects}
        order by line_number, column_name
        """,
        [obj.source, obj.folder, staged.rel, now],
    )
    con.execute(
        f"insert into {AUDIT_SCHEMA}.loaded_files values (?, ?, ?, ?, ?, ?)",
        [obj.folder, staged.rel, staged.file_hash, staged.rows, staged.rejected, now],
    )


def _previous_outcomes(con: duckdb.DuckDBPyConnection, obj: SourceObject) -> dict[str, tuple]:
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


def load_object(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, obj: SourceObject
) -> ObjectLoadResult:
    """Bring ``raw.<table>`` in line with the object's landing files, in one transaction.

    Bad input is quarantined (see the module docstring); only errors outside the data, such as
    an unreadable landing folder or a full disk, raise.
    """
    result = ObjectLoadResult(folder=obj.folder, table=f"{SCHEMA}.{obj.table}")
    now = datetime.now(UTC).replace(tzinfo=None)
    folder = landing_dir / obj.folder
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    # Timestamps without an offset are UTC (sources contract), whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    ensure_audit_tables(con)
    previous = _previous_outcomes(con, obj)
    judged: list[tuple[str, StagedFile | FileRejection]] = []
    present = set()
    try:
        for number, path in enumerate(files):
            rel = path.relative_to(landing_dir).as_posix()
            present.add(rel)
            file_hash = file_sha256(path)
            before = previous.get(rel)
            if before and before[0] == file_hash:
                (result.files_still_rejected if before[1] else result.files_skipped).append(rel)
                continue
            judged.append((file_hash, _judge_file(con, obj, path, rel, file_hash, number)))
        con.execute("begin transaction")
        try:
            ensure_raw_table(con, obj, list(obj.columns))
            _apply(con, obj, judged, now, result)
            for rel in sorted(set(previous) - present):
                _forget_file(con, obj, rel)
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
        _forget_file(con, obj, outcome.file if isinstance(outcome, FileRejection) else outcome.rel)
        if isinstance(outcome, FileRejection):
            con.execute(
                f"insert into {AUDIT_SCHEMA}.rejected_files values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    obj.source,
                    obj.folder,
                    outcome.file,
                    file_hash,
                    outcome.reason,
                    outcome.line,
                    outcome.column,
                    now,
                ],
            )
            result.files_rejected.append(outcome)
            continue
        ensure_raw_table(con, obj, outcome.header)
        _insert_file(con, obj, outcome, now)
        result.files_loaded.append(outcome.rel)
        result.rows_loaded += outcome.rows
        result.rows_rejected += outcome.rejected


def _forget_file(con: duckdb.DuckDBPyConnection, obj: SourceObject, rel: str) -> None:
    """Remove everything an earlier load or rejection of this file left behind."""
    con.execute(f"delete from {SCHEMA}.{obj.table} where _source_file = ?", [rel])
    for table in ("loaded_files", "rejected_rows", "rejected_files"):
        con.execute(f"delete from {AUDIT_SCHEMA}.{table} where source_file = ?", [rel])
