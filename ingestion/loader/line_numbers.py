"""The physical line each CSV record starts on, exactly, whatever the reader skipped.

DuckDB's reader numbers records, not lines: a record can span lines (newlines inside quoted
values), and the reader drops blank lines and the records it rejects without a trace. The good
records are staged with provisional lines, the rejected ones are placed by their byte position,
and every good record is shifted past the gaps before it; a file whose lines do not add up is
rejected rather than loaded with wrong line numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.file_scan import FileScan, lines_at
from ingestion.loader.audit import FileRejection
from spm_common.sql import quote_ident, sql_literal

# DuckDB keeps at most this many characters of a rejected record; a longer one cannot be
# delimited from its text, so we cannot tell which lines the records after it start on.
CSV_LINE_LIMIT = 10_000
FIELD_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclass(frozen=True)
class BrokenRecord:
    """A record DuckDB's reader could not split into the header's fields."""

    first_line: int
    last_line: int
    column: str | None
    reason: str
    raw_record: str


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    first_line: int,
    table: str,
) -> None:
    """Parse the file as text into temp ``table``; DuckDB keeps what it cannot split aside.

    ``_source_line`` is provisional: each record starts one line after the previous good record
    ended (a record spans one line plus the newlines quoted inside it, counted only for the
    records that have one). ``shift_lines`` moves it past rejected records and blank lines,
    which the reader drops without a trace.

    One pass over the file: the record number and the running sum of the spans are windows
    over the reader's output in file order (no ORDER BY: DuckDB keeps the insertion order),
    so the staged table is written once, not rewritten to number its lines.
    """
    columns = "{" + ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in header) + "}"
    values = "concat_ws('', " + ", ".join(quote_ident(n) for n in header) + ")"
    has_newline = " or ".join(f"contains({quote_ident(n)}, chr(10))" for n in header)
    span = (
        f"case when {has_newline} "
        f"then 1 + length({values}) - length(replace({values}, chr(10), '')) else 1 end"
    )
    con.execute("drop table if exists _csv_rejects")
    con.execute("drop table if exists _csv_scans")
    con.execute(
        f"""
        create temp table {table} as
        select * exclude (_lines_through), {first_line} + _lines_through - _span as _source_line
        from (
            select
                *,
                sum(_span) over (rows between unbounded preceding and current row)
                    as _lines_through
            from (
                select *, row_number() over () as _record_number, {span} as _span
                from read_csv(
                    {sql_literal(str(path))}, header = true, auto_detect = false,
                    delim = ',', quote = '"', escape = '"', columns = {columns},
                    strict_mode = true, null_padding = false, store_rejects = true,
                    rejects_table = '_csv_rejects', rejects_scan = '_csv_scans'
                )
            )
        )
        """
    )


def broken_records(
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


def shift_lines(
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
