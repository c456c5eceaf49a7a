"""The frames of a raw object's Great Expectations suite, read from the working DuckDB.

A raw object is validated as its current records (``current_records_sql``); a derived frame's
SQL names other objects as ``{source/Object}``, and ``ValuesOf`` value sets are read at run
time, once per run when the caller passes the same ``values`` cache for every object. Only the
columns the expectations and failing-row samples need are read, and lazily: a batch's data is a
``Reader`` that runs one query per part of its suite (``gx_chunks.plan``), that part's columns
only, fetched in slices of about ``gx_chunks.CHUNK_ROWS`` rows, so no frame is held whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import duckdb
import pandas as pd

from ingestion.contract import OBJECTS_BY_FOLDER, SourceObject
from ingestion.expectations import Expectation, Frame, ValuesOf
from orchestration.lib.quality import chunks as gx_chunks
from orchestration.lib.quality.chunks import Part, Reader, referenced_columns
from orchestration.lib.quality.runner import Batch
from spm_common.schemas import RAW_SCHEMA
from spm_common.sql import quote_ident

PLACEHOLDER = re.compile(r"\{([a-z_]+/[A-Za-z_]+)\}")


def current_records_sql(obj: SourceObject) -> str:
    """The current records of a raw object, by the contract's version rule.

    Salesforce: the version with the greatest ``SystemModstamp``, then the later file, wins, and
    a record whose winning version has ``IsDeleted`` is dropped. Other sources: per ``key``, the
    later file wins. Ranked without the line number on purpose: a key that appears twice in its
    winning file is kept twice, so the uniqueness expectation reports it, where staging would
    silently take the later line.
    """
    partition = ", ".join(quote_ident(column) for column in obj.key)
    order = '"SystemModstamp" desc nulls last, ' if obj.is_salesforce else ""
    live = ' and not coalesce("IsDeleted", false)' if "IsDeleted" in obj.columns else ""
    return f"""
        select * exclude (_version_rank)
        from (
            select *, rank() over (
                partition by {partition} order by {order}_source_file desc
            ) as _version_rank
            from {RAW_SCHEMA}.{obj.table}
        ) as versions
        where _version_rank = 1{live}
    """


def expand(sql: str) -> str:
    """Replace ``{source/Object}`` with that object's current records."""
    return PLACEHOLDER.sub(lambda m: f"({current_records_sql(OBJECTS_BY_FOLDER[m[1]])})", sql)


def objects_read(frames: Sequence[Frame]) -> set[str]:
    """Landing folders of the raw objects the frames read besides their own rows."""
    folders: set[str] = set()
    for frame in frames:
        folders |= set(PLACEHOLDER.findall(frame.sql or ""))
        for expectation in frame.expectations:
            folders |= {v.folder for v in expectation.kwargs.values() if isinstance(v, ValuesOf)}
    return folders


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]
    if not columns:
        raise LookupError(f"table {schema}.{table} does not exist in the warehouse")
    return columns


def own_rows_sql(frame: Frame, source: str, available: Sequence[str]) -> str:
    """Only the columns the frame's expectations and samples need, plus computed ones."""
    wanted = [*frame.row_id, *referenced_columns(frame.expectations)]
    selected = [c for c in dict.fromkeys(wanted) if c in available]
    items = [quote_ident(c) for c in selected]
    items += [f"{expression} as {quote_ident(name)}" for name, expression in frame.computed.items()]
    return f"select {', '.join(items) or '1 as no_columns'} from {source} as rows"


ValueSets = dict[ValuesOf, list]
VECTOR_ROWS = 2048  # rows of a DuckDB vector, the unit ``fetch_df_chunk`` counts in


def values_of(con: duckdb.DuckDBPyConnection, value_set: ValuesOf) -> list:
    """The distinct non-null values of a column of another object's current records."""
    column = quote_ident(value_set.column)
    source = current_records_sql(OBJECTS_BY_FOLDER[value_set.folder])
    return [
        row[0]
        for row in con.execute(
            f"select distinct {column} from ({source}) as lookup "
            f"where {column} is not null order by 1"
        ).fetchall()
    ]


def _resolve(
    con: duckdb.DuckDBPyConnection, expectations: Sequence[Expectation], values: ValueSets
) -> list[Expectation]:
    """Expectations with every ``ValuesOf`` replaced by the values it names (read once)."""
    resolved = []
    for expectation in expectations:
        kwargs = dict(expectation.kwargs)
        for key, value in kwargs.items():
            if isinstance(value, ValuesOf):
                if value not in values:
                    values[value] = values_of(con, value)
                kwargs[key] = values[value]
        resolved.append(Expectation(expectation.type, expectation.severity, kwargs))
    return resolved


def read_batches(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    frames: Sequence[Frame],
    values: ValueSets | None = None,
) -> list[Batch]:
    """Each frame's DataFrame from DuckDB; ``sql`` None means the object's current records.
    ``values`` caches the ``ValuesOf`` sets read so far (share it across the objects of a run)."""
    values = {} if values is None else values
    own_source = f"({current_records_sql(obj)})"
    own_columns = table_columns(con, RAW_SCHEMA, obj.table)
    batches = []
    for frame in frames:
        if frame.sql is None:
            sql = own_rows_sql(frame, own_source, own_columns)
            available = [*own_columns, *frame.computed]
        else:
            sql = expand(frame.sql)
            empty = con.execute(f"select * from ({sql}) as derived limit 0")
            available = [d[0] for d in empty.description]
        expectations = _resolve(con, frame.expectations, values)
        batches.append(Batch(frame.name, reader(con, sql, available), expectations, frame.row_id))
    return batches


def part_sql(sql: str, part: Part, available: Sequence[str]) -> list[str]:
    """The queries reading a part's columns of a frame (those it has), in order.

    A part grouped by columns (a uniqueness expectation) is read in two queries so that no
    query sorts the whole frame: the rows whose values there occur once, in any order (no two
    of them can fail together), then the rows whose values repeat, sorted by them, so that
    equal values are read one after another and ``gx_chunks.chunks`` keeps them together.
    Between them every row is read once: GX counts each row as it would in one frame.
    """
    columns = [c for c in dict.fromkeys(part.columns) if c in available]
    items = ", ".join(quote_ident(c) for c in columns) or "1 as no_columns"
    group = [quote_ident(c) for c in part.group_by if c in columns]
    if not group:
        return [f"select {items} from ({sql}) as frame"]
    counted = (
        f"(select {items}, count(*) over (partition by {', '.join(group)}) as _spm_repeats "
        f"from ({sql}) as frame) as counted"
    )
    order = ", ".join(f"{c} nulls last" for c in group)
    return [
        f"select {items} from {counted} where _spm_repeats = 1",
        f"select {items} from {counted} where _spm_repeats > 1 order by {order}",
    ]


def reader(con: duckdb.DuckDBPyConnection, sql: str, available: Sequence[str]) -> Reader:
    """Reads a part of the frame ``sql`` in slices of about ``CHUNK_ROWS`` rows (at least one
    DuckDB vector), the first one even when empty. Runs on ``con`` when iterated: read one
    part to its end before another query on the connection."""

    def read(part: Part) -> Iterator[pd.DataFrame]:
        vectors = max(1, gx_chunks.CHUNK_ROWS // VECTOR_ROWS)
        first = True
        for query in part_sql(sql, part, available):
            result = con.execute(query)
            while not (data := result.fetch_df_chunk(vectors)).empty or first:
                yield data
                first = False

    return read
