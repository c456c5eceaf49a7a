"""Run Great Expectations 1.x suites where the data are, and write their Data Docs.

GX is imported on first use only (the import costs seconds) with its analytics off, and one
ephemeral context per Data Docs folder serves every suite of the process (a Dagster run).
``run_suite`` validates a suite's batches; ``build_docs`` then writes the pages of any number of
suites' results in one Data Docs build (one renderer, its templates compiled once; the site
index is not rebuilt: that re-renders every result of the run). ``validate`` does both for one
suite. GX's own failures (an expectation that raised) are reported as failed error-level
expectations, never as passes.

A batch read from the warehouse (``Batch.data`` a ``Query``) is validated by GX's SQL execution
engine on the run's own DuckDB connection (through SQLAlchemy and ``duckdb-engine``): every
expectation becomes a query, no row comes into Python but the failing rows GX samples (with
the batch's row id, ``_source_file`` and ``_source_line``). A ``Batch`` whose data is a
DataFrame (already in memory) is validated by GX's pandas engine.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import operator
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import pandas as pd

from ingestion.expectations import Expectation, Severity, Where
from spm_common.sql import quote_ident

DOCS_SITE = "spm"
WAREHOUSE_SOURCE = "warehouse"
SAMPLE_SIZE = 20  # failing values and rows GX returns per expectation
OBSERVED_VALUES_SHOWN = 5
KEEP_RUNS = 30  # Data Docs pages kept per validation
POSITION = "spm_position"  # meta key: the expectation's index in its batch


@dataclass(frozen=True)
class Query:
    """A frame in the warehouse: the SQL that selects it, the columns it has, the connection."""

    sql: str
    columns: Sequence[str]
    connection: duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Batch:
    """One frame to validate: its rows, resolved expectations and the columns naming a row.

    ``data`` is the frame itself (pandas) or a ``Query`` (validated in the warehouse)."""

    frame: str
    data: pd.DataFrame | Query
    expectations: Sequence[Expectation]
    row_id: Sequence[str] = ()


@dataclass(frozen=True)
class Failure:
    """A failed (or unevaluable) expectation, with what GX observed and some failing rows."""

    frame: str
    expectation: str
    column: str
    severity: Severity
    observed: str
    unexpected_count: int | None = None
    element_count: int | None = None
    sample_rows: pd.DataFrame | None = None
    error: str | None = None


@dataclass
class SuiteResult:
    suite: str
    evaluated: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    docs_pages: dict[str, Path] = field(default_factory=dict)
    # GX's validation result key per frame, for ``build_docs``.
    result_keys: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warning"]

    @property
    def docs_page(self) -> Path | None:
        """The page to look at first: the first frame that failed, else the first frame."""
        for failure in self.failures:
            if failure.frame in self.docs_pages:
                return self.docs_pages[failure.frame]
        return next(iter(self.docs_pages.values()), None)


def exception(result: Any) -> str | None:
    """GX's message when evaluating the expectation raised; its shape varies by failure."""
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [e.get("exception_message") for e in entries if e.get("raised_exception")]
    return "; ".join(sorted({str(m) for m in messages})) or None


def columns_of(expectation: Expectation) -> list[str]:
    """The columns an expectation is about (not those of its row condition)."""
    kwargs = expectation.kwargs
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    return columns + list(kwargs.get("column_list") or [])


def referenced_columns(expectations: Iterable[Expectation]) -> list[str]:
    """Columns an expectation reads, row conditions included, in first-seen order."""
    names: list[str] = []
    for expectation in expectations:
        names += columns_of(expectation)
        names += [condition.column for condition in expectation.kwargs.get("row_condition") or ()]
    return list(dict.fromkeys(names))


@functools.cache
def gx() -> ModuleType:
    """``great_expectations``, imported once, with analytics switched off and Spark Connect
    hidden first (``hide_spark_connect``)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    hide_spark_connect()
    import great_expectations

    return great_expectations


def hide_spark_connect() -> None:
    """Make ``pyspark.sql.connect`` unimportable in this process, where PySpark is installed.

    Great Expectations imports it, when PySpark is there (the spark extra), to know Spark
    Connect's DataFrame. PySpark's ``pyspark.sql.connect`` calls ``sys.exit(0)`` on import when
    its optional dependencies (pyarrow, ...) are missing and the main module has neither a spec
    nor a file, which it takes for a doctest run; a Dagster run worker launched from the UI or
    the daemon is such a process, so the quality step died there with ``SystemExit(0)``. Nothing
    here uses Spark Connect (the Spark build runs dbt in a subprocess), so an import of it fails
    with ImportError instead, which Great Expectations handles.
    """
    if importlib.util.find_spec("pyspark") is not None:
        sys.modules.setdefault("pyspark.sql.connect", None)


@functools.lru_cache(maxsize=4)
def _context(docs_dir: str) -> Any:
    gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": docs_dir,
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    context = gx().get_context(mode="ephemeral", project_config=config)
    context.data_sources.add_pandas(DOCS_SITE)
    return context


class _Dialect(str):
    """A dialect name as GX's ``GXSqlDialect`` members present it (``.value``)."""

    @property
    def value(self) -> str:
        return str(self)


def persist_duckdb_connections() -> None:
    """Let GX's SQL engine keep one connection open on DuckDB, as it does for SQLite.

    GX 1.24 (``SqlAlchemyExecutionEngine``) opens a connection per metric query and reads the
    result after closing it; DuckDB's cursor is gone by then, and every expectation fails with
    "list index out of range" (MetricResolutionError; GX issues #10738, #11579). GX keeps one
    persisted connection for the dialects named in ``_PERSISTED_CONNECTION_DIALECTS`` (SQLite,
    and in-memory databases); this adds ``duckdb`` to them. Checked by tests/e2e/test_gx_sql.py:
    without it nothing passes."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    dialects = engine._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in {getattr(d, "value", d) for d in dialects}:
        engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _Dialect("duckdb"))


_bound: dict[int, duckdb.DuckDBPyConnection] = {}  # id(context) -> its warehouse connection


def _warehouse_source(context: Any, connection: duckdb.DuckDBPyConnection) -> Any:
    """The context's SQL data source on ``connection`` (a cursor of it per SQLAlchemy
    connection: the run's own DuckDB, no second open of the file), replaced when the
    connection changes."""
    import duckdb_engine

    persist_duckdb_connections()
    if _bound.get(id(context)) is connection:
        return context.data_sources.get(WAREHOUSE_SOURCE)
    with contextlib.suppress(Exception):  # not there yet: nothing to delete
        context.data_sources.delete(WAREHOUSE_SOURCE)
    source = context.data_sources.add_sql(
        WAREHOUSE_SOURCE,
        connection_string="duckdb:///:memory:",
        kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(connection.cursor())},
    )
    _bound[id(context)] = connection
    return source


def _camel(expectation_type: str) -> str:
    return "".join(part.capitalize() for part in expectation_type.split("_"))


COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _row_condition(conditions: Sequence[Where]) -> Any:
    gx()
    from great_expectations.expectations.row_conditions import AndCondition, Column

    built = [
        Column(c.column).is_not_null()
        if c.operator == "is not null"
        else COMPARISONS[c.operator](Column(c.column), c.value)
        for c in conditions
    ]
    return built[0] if len(built) == 1 else AndCondition(conditions=built)


def build_expectation(expectation: Expectation, position: int) -> Any:
    """The GX expectation object. GX's own severity mirrors ours so Data Docs show it, and
    ``meta`` remembers the expectation's position to map GX's results back to it."""
    gx()
    import great_expectations.expectations as gxe

    cls = getattr(gxe, _camel(expectation.type), None)
    if cls is None:
        raise ValueError(f"unknown Great Expectations expectation type {expectation.type!r}")
    kwargs = dict(expectation.kwargs)
    if "row_condition" in kwargs:
        kwargs["row_condition"] = _row_condition(kwargs["row_condition"])
    severity = "critical" if expectation.severity == "error" else "warning"
    return cls(**kwargs, severity=severity, meta={POSITION: position})


def _validation_definition(
    context: Any, name: str, expectations: Sequence[Expectation], data: Any
) -> Any:
    """A validation definition named ``name`` of the suite ``name`` over the batch definition
    ``data``, rebuilt each run so value sets read at run time are current."""
    for store in (context.validation_definitions, context.suites):
        with contextlib.suppress(Exception):  # not there yet: nothing to delete
            store.delete(name)
    # Built whole, then stored once (a stored suite re-saves itself at every expectation added).
    built = [build_expectation(e, p) for p, e in enumerate(expectations)]
    suite = context.suites.add(gx().ExpectationSuite(name=name, expectations=built))
    return context.validation_definitions.add(
        gx().ValidationDefinition(name=name, data=data, suite=suite)
    )


# ------------------------------------------------------------------------------- running


def _sample(batch: Batch, expectation: Expectation, result: Any) -> pd.DataFrame | None:
    """The failing rows GX named: the row id and the expectation's columns, as GX returned them
    (``unexpected_index_column_names`` rows), or looked up in a DataFrame batch by index."""
    indexes = (result.result or {}).get("partial_unexpected_index_list") or []
    if not indexes:
        return _duplicate_rows(batch, expectation)
    shown = list(dict.fromkeys([*batch.row_id, *columns_of(expectation)]))
    if all(isinstance(i, dict) for i in indexes):
        rows = pd.DataFrame(indexes[:SAMPLE_SIZE])
        return rows[[c for c in shown if c in rows.columns]]
    if isinstance(batch.data, pd.DataFrame) and not any(isinstance(i, dict) for i in indexes):
        frame = batch.data
        return frame.loc[indexes[:SAMPLE_SIZE], [c for c in shown if c in frame.columns]]
    return None


# SQL a row condition's operators become; values are bound as parameters.
SQL_OPERATORS = {"==": "=", "!=": "<>", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"


def _duplicate_rows(batch: Batch, expectation: Expectation) -> pd.DataFrame | None:
    """The failing rows of a compound uniqueness rule on a ``Query`` batch, read in DuckDB.

    GX's SQL engine counts them but names none (its pandas engine does): the rows whose values
    of ``column_list`` occur more than once, with GX's ``ignore_row_if`` and row condition."""
    query = batch.data
    if not isinstance(query, Query) or expectation.type != COMPOUND_UNIQUE:
        return None
    columns = [quote_ident(c) for c in columns_of(expectation)]
    shown = list(dict.fromkeys([*batch.row_id, *columns_of(expectation)]))
    shown = [c for c in shown if c in query.columns]
    ignore = expectation.kwargs.get("ignore_row_if", "all_values_are_missing")
    missing = {
        "all_values_are_missing": " and ".join(f"{c} is null" for c in columns),
        "any_value_is_missing": " or ".join(f"{c} is null" for c in columns),
    }.get(ignore)
    filters, parameters = ([f"not ({missing})"] if missing else []), []
    for condition in expectation.kwargs.get("row_condition") or ():
        if condition.operator == "is not null":
            filters.append(f"{quote_ident(condition.column)} is not null")
        else:
            filters.append(f"{quote_ident(condition.column)} {SQL_OPERATORS[condition.operator]} ?")
            parameters.append(condition.value)
    where = f"where {' and '.join(filters)}" if filters else ""
    sql = (
        f"select {', '.join(quote_ident(c) for c in shown)} from ({query.sql}) as frame {where} "
        f"qualify count(*) over (partition by {', '.join(columns)}) > 1 limit {SAMPLE_SIZE}"
    )
    return query.connection.execute(sql, parameters).df()


def _batch_definition(context: Any, name: str, batch: Batch) -> tuple[Any, dict[str, Any]]:
    """The whole-data batch definition of ``batch`` (a data asset named ``name``, replaced each
    run) and the batch parameters its run needs."""
    if isinstance(batch.data, pd.DataFrame):
        source = context.data_sources.get(DOCS_SITE)
        if name not in source.get_asset_names():
            source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        definition = source.get_asset(name).get_batch_definition("whole")
        return definition, {"dataframe": batch.data}
    source = _warehouse_source(context, batch.data.connection)
    if name in source.get_asset_names():
        source.delete_asset(name)
    asset = source.add_query_asset(name, query=batch.data.sql)
    return asset.add_batch_definition_whole_table("whole"), {}


FRAME_TABLE = "memory.main.spm_gx_frame"  # the connection's own in-memory database


@contextlib.contextmanager
def _materialized(batch: Batch) -> Iterator[Batch]:
    """A ``Query`` batch over a table holding its frame, dropped afterwards.

    GX's SQL engine sends a query per metric (counts, unexpected values, failing rows: a
    dozen or more per expectation), each over the batch's SQL; a frame of current records
    (a window over the whole raw table) is computed once here instead. The table is in the
    connection's in-memory database (``frames.warehouse_connection``: the warehouse is attached
    read-only beside it), which DuckDB spills to disk beyond its memory limit and every cursor
    GX opens sees. A connection without that database (a read-only connection to a file) is
    queried as it is, each metric over the batch's SQL."""
    if not isinstance(batch.data, Query):
        yield batch
        return
    con = batch.data.connection
    databases = con.execute("select database_name, readonly from duckdb_databases()").fetchall()
    if ("memory", False) not in databases:
        yield batch
        return
    con.execute(f"create or replace table {FRAME_TABLE} as {batch.data.sql}")
    try:
        query = Query(f"select * from {FRAME_TABLE}", batch.data.columns, con)
        yield Batch(batch.frame, query, batch.expectations, batch.row_id)
    finally:
        con.execute(f"drop table if exists {FRAME_TABLE}")


def _validate_batch(context: Any, name: str, batch: Batch) -> tuple[Any, int, dict[int, Any]]:
    """GX's result of one batch (stored under ``name`` for Data Docs), its row count and the
    failing rows sampled per expectation position."""
    with _materialized(batch) as materialized:
        return _validate(context, name, materialized)


def _validate(context: Any, name: str, batch: Batch) -> tuple[Any, int, dict[int, Any]]:
    data, parameters = _batch_definition(context, name, batch)
    definition = _validation_definition(context, name, batch.expectations, data)
    row_id = [c for c in batch.row_id if c in _columns(batch)]
    index_columns = {"unexpected_index_column_names": row_id} if row_id else {}
    outcome = definition.run(
        batch_parameters=parameters,
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
            **index_columns,
        },
    )
    samples = {}
    for result in outcome.results:
        position = result.expectation_config.meta[POSITION]
        if (
            not result.success
            and (sample := _sample(batch, batch.expectations[position], result)) is not None
        ):
            samples[position] = sample
    return outcome, _row_count(batch, outcome.results), samples


def _columns(batch: Batch) -> list[str]:
    return list(batch.data.columns)


def _row_count(batch: Batch, results: Sequence[Any]) -> int:
    """The batch's rows: GX's element count of an expectation over every row, else counted."""
    for result in results:
        kwargs = result.expectation_config.kwargs
        count = (result.result or {}).get("element_count")
        if count is not None and not kwargs.get("row_condition"):
            return int(count)
    if isinstance(batch.data, pd.DataFrame):
        return len(batch.data)
    query = f"select count(*) from ({batch.data.sql}) as frame"
    return int(batch.data.connection.execute(query).fetchone()[0])


def run_suite(suite: str, batches: Sequence[Batch], docs_dir: Path) -> SuiteResult:
    """Validate every batch of a suite and return what failed; no Data Docs yet."""
    context = _context(str(docs_dir))
    result = SuiteResult(suite=suite)
    for batch in batches:
        name = f"{suite}.{batch.frame}"
        outcome, rows, samples = _validate_batch(context, name, batch)
        result.rows[batch.frame] = rows
        result.evaluated += len(outcome.results)
        result.failures += [
            _failure(batch, r, samples) for r in outcome.results if not r.success or exception(r)
        ]
        result.result_keys[batch.frame] = _result_key(context, name, outcome.meta["run_id"])
    return result


def build_docs(results: Sequence[SuiteResult], docs_dir: Path) -> None:
    """Write the Data Docs pages of the results' validations in one build, set ``docs_pages``."""
    keys = [key for result in results for key in result.result_keys.values()]
    if not keys:  # nothing validated: no GX import, no context
        return
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _context(str(docs_dir))
    # Only these pages: rebuilding the index re-renders every result of the run.
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=keys, build_index=False)
    for result in results:
        for frame, key in result.result_keys.items():
            page = _url_to_path(
                context.get_docs_sites_urls(resource_identifier=key, site_name=DOCS_SITE)[0][
                    "site_url"
                ]
            )
            prune_old_pages(page)
            result.docs_pages[frame] = page


def validate(suite: str, batches: Sequence[Batch], docs_dir: Path) -> SuiteResult:
    """Validate every batch of a suite, write its Data Docs pages, return what failed."""
    result = run_suite(suite, batches, docs_dir)
    build_docs([result], docs_dir)
    return result


def prune_old_pages(page: Path, keep: int = KEEP_RUNS) -> None:
    """Keep the newest ``keep`` runs' pages of a validation; a nightly run adds one each."""
    runs = sorted(p for p in page.parent.parent.iterdir() if p.is_dir())  # named by run time
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _result_key(context: Any, name: str, run_id: Any) -> Any:
    for key in context.validation_results_store.list_keys():
        if key.expectation_suite_identifier.name == name and key.run_id == run_id:
            return key
    raise RuntimeError(f"Great Expectations did not store the validation result of {name}")


def _url_to_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def describe(expectation: Expectation) -> str:
    """``expect_column_values_to_be_between(min_value=0, max_value=1)``: type and parameters."""
    skip = {"column", "column_A", "column_B", "column_list", "row_condition", "ignore_row_if"}
    shown = []
    for key, value in expectation.kwargs.items():
        if key in skip or value is None:
            continue
        if isinstance(value, list) and len(value) > 8:
            value = [*value[:8], "..."]
        shown.append(f"{key}={value}")
    return f"{expectation.type}({', '.join(shown)})"


def describe_column(expectation: Expectation) -> str:
    column = ", ".join(columns_of(expectation)) or "(table)"
    conditions = expectation.kwargs.get("row_condition")
    if not conditions:
        return column
    return f"{column} where {' and '.join(str(c) for c in conditions)}"


def _observed(result: dict[str, Any]) -> str:
    """``3 of 120 rows; e.g. 'Prospect', NULL`` for row-level rules, else GX's observed value."""
    if "unexpected_count" not in result:
        return _value(result.get("observed_value"))
    text = f"{result['unexpected_count']} of {result.get('element_count')} rows"
    examples = list(dict.fromkeys(_value(v) for v in result.get("partial_unexpected_list") or []))
    if not examples:
        return text
    more = ", ..." if len(examples) > OBSERVED_VALUES_SHOWN else ""
    return f"{text}; e.g. {', '.join(examples[:OBSERVED_VALUES_SHOWN])}{more}"


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
        return "NULL"
    if hasattr(value, "item"):
        value = value.item()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _failure(batch: Batch, result: Any, samples: dict[int, pd.DataFrame]) -> Failure:
    position = result.expectation_config.meta[POSITION]
    expectation = batch.expectations[position]
    details = dict(result.result or {})
    error = exception(result)
    if error:
        # An expectation that did not run vouches for nothing: block, whatever its level.
        return Failure(
            frame=batch.frame,
            expectation=describe(expectation),
            column=describe_column(expectation),
            severity="error",
            observed=f"Great Expectations error: {error}",
            error=error,
        )
    return Failure(
        frame=batch.frame,
        expectation=describe(expectation),
        column=describe_column(expectation),
        severity=expectation.severity,
        observed=_observed(details),
        unexpected_count=details.get("unexpected_count"),
        element_count=details.get("element_count"),
        sample_rows=samples.get(position),
    )
