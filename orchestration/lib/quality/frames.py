"""The frames of a raw object's Great Expectations suite, as queries on the working DuckDB.

A raw object is validated as its current records (``current_records_sql``); a derived frame's
SQL names other objects as ``{source/Object}``, and ``ValuesOf`` value sets are read at run
time, once per run when the caller passes the same ``values`` cache for every object. A
batch's data is a ``Query`` selecting only the columns the expectations and failing-row samples
need; GX runs the expectations on it in DuckDB (``runner.py``), so no frame comes into Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ingestion.contract import OBJECTS_BY_FOLDER, SourceObject
from ingestion.expectations import Expectation, Frame, ValuesOf
from orchestration.lib.quality.runner import Batch, Query, referenced_columns
from spm_common.schemas import RAW_SCHEMA
from spm_common.sql import quote_ident, sql_literal

WAREHOUSE_ALIAS = "warehouse"


def warehouse_connection(path: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse attached read-only as its default database.

    The gate never writes the warehouse; the frames it validates are written to the
    connection's own ``memory`` database (``runner._materialized``), which a read-only
    connection to the file could not do. Fails like ``duckdb.connect`` when the file cannot
    be opened."""
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
    try:
        con.execute(f"attach {sql_literal(str(path))} as {WAREHOUSE_ALIAS} (read_only)")
        con.execute(f"use {WAREHOUSE_ALIAS}")
    except Exception:
        con.close()
        raise
    return con


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
    """Each frame as a query on ``con``; ``sql`` None means the object's current records.
    ``values`` caches the ``ValuesOf`` sets read so far (share it across the objects of a run)."""
    values = {} if values is None else values
    own_source = f"({current_records_sql(obj)})"
    own_columns = table_columns(con, RAW_SCHEMA, obj.table)
    batches = []
    for frame in frames:
        if frame.sql is None:
            sql = own_rows_sql(frame, own_source, own_columns)
        else:
            sql = expand(frame.sql)
        available = [
            d[0] for d in con.execute(f"select * from ({sql}) as frame limit 0").description
        ]
        expectations = _resolve(con, frame.expectations, values)
        batches.append(Batch(frame.name, Query(sql, available, con), expectations, frame.row_id))
    return batches
