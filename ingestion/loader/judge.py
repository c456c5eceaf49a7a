"""One landing file judged before its object's transaction: staged into temp tables, or why
none of it can be loaded (not UTF-8, no usable header, a required column missing, lines that do
not add up)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.contract import PROVENANCE_COLUMNS, SourceObject
from ingestion.file_scan import lines_at, scan_bytes
from ingestion.loader.audit import FileRejection
from ingestion.loader.line_numbers import broken_records, shift_lines, stage_file
from ingestion.loader.values import reject_rows


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


def judge_file(
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
        stage_file(con, path, header, header_lines + 1, staged[0])
    except duckdb.InvalidInputException as exc:
        return _unreadable(path, rel, str(exc))
    broken = broken_records(con, path, rel, scan)
    if isinstance(broken, FileRejection):
        return broken
    lost = shift_lines(con, staged[0], (rel, header, header_lines + 1), broken, scan)
    if lost:
        return lost
    rejected = reject_rows(con, obj, header, staged, broken)
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
