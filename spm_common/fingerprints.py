"""Fingerprints of files, named once: a file's content hash (idempotent loads, the statements'
source) and the digest of a listing of paths, sizes and modification times (the landing
sensor's state, the dbt manifest's freshness); and of a DuckDB table's rows (whether a dbt
build or a quality suite has anything new to read)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from spm_common.sql import quote_ident

if TYPE_CHECKING:  # the connection is the caller's: spm_common imports no database driver
    import duckdb

CHUNK = 1 << 20

Entry = tuple[str, int, int]


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stat_entries(paths: Iterable[Path], root: Path) -> list[Entry]:
    """``(path relative to root, size, mtime_ns)`` of each file, in the order given."""
    entries = []
    for path in paths:
        stat = path.stat()
        entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return entries


def listing_digest(entries: list[Entry], **extra: object) -> str:
    """A SHA-256 of the entries (and any extra JSON values): it changes when a file is added,
    removed, resized or touched."""
    payload: object = {**extra, "files": entries} if extra else entries
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


PROVENANCE = ("_source_file", "_source_line", "_file_hash", "_loaded_at")


def table_signature(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """Row count and content hash of one table, computed in DuckDB; "missing" if absent.

    A raw table (rows written only by the loader, each with its file's hash and load time):
    the sum of the hashes of ``(_source_file, _source_line, _file_hash)`` and the latest
    ``_loaded_at``, three columns read. Any other table: the sum of its whole rows' hashes.
    Rows added, removed or reloaded change it, and so does a column added or retyped."""
    described = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not described:
        return "missing"
    columns = {name for name, _ in described}
    shape = hashlib.sha256(json.dumps(described).encode()).hexdigest()[:16]
    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
    if set(PROVENANCE) <= columns:
        content = (
            "sum(hash(_source_file, _source_line, _file_hash))::varchar "
            "|| '/' || coalesce(max(_loaded_at)::varchar, '')"
        )
    else:
        content = "coalesce(sum(hash(t))::varchar, '')"
    count, digest = con.execute(f"select count(*), {content} from {relation} as t").fetchone()
    return f"{count}:{digest}:{shape}"
