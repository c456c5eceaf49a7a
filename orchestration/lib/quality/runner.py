"""Run Great Expectations 1.x suites on pandas DataFrames and write their Data Docs.

GX is imported on first use only (the import costs seconds) with its analytics off, and one
ephemeral context per Data Docs folder serves every suite of the process (a Dagster run).
``run_suite`` validates a suite's batches; ``build_docs`` then writes the pages of any number of
suites' results in one Data Docs build (one renderer, its templates compiled once; the site
index is not rebuilt: that re-renders every result of the run). ``validate`` does both for one
suite. GX's own failures (an expectation that raised) are reported as failed error-level
expectations, never as passes.

Memory does not grow with the table: a batch read from the warehouse (``Batch.data`` a
``Reader``) is validated in parts and chunks (``chunks.py``), the chunks' results merged into
one validation result per frame, stored for Data Docs as if GX had seen the whole frame. A
``Batch`` whose data is a DataFrame (already in memory) is validated whole.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import importlib.util
import operator
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from ingestion.expectations import Expectation, Severity, Where
from orchestration.lib.quality.chunks import (
    SAMPLE_SIZE,
    Part,
    Reader,
    chunks,
    columns_of,
    exception,
    merge,
    plan,
)

DOCS_SITE = "spm"
OBSERVED_VALUES_SHOWN = 5
KEEP_RUNS = 30  # Data Docs pages kept per validation
POSITION = "spm_position"  # meta key: the expectation's index in its batch


@dataclass(frozen=True)
class Batch:
    """One frame to validate: its rows, resolved expectations and the columns naming a row.

    ``data`` is the frame itself (validated whole) or a ``Reader`` (validated in chunks)."""

    frame: str
    data: pd.DataFrame | Reader
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
    context: Any,
    name: str,
    expectations: Sequence[Expectation],
    positions: Sequence[int] = (),
    asset_name: str | None = None,
) -> Any:
    """A validation definition named ``name`` over a whole-DataFrame batch of the data asset
    ``asset_name`` (default ``name``), rebuilt each run so value sets read at run time are
    current. ``positions``: the expectations' positions in their batch (default: their order)."""
    source = context.data_sources.get(DOCS_SITE)
    asset_name = asset_name or name
    if asset_name in source.get_asset_names():
        asset = source.get_asset(asset_name)
        batch_definition = asset.get_batch_definition("whole")
    else:
        batch_definition = source.add_dataframe_asset(
            asset_name
        ).add_batch_definition_whole_dataframe("whole")
    for store in (context.validation_definitions, context.suites):
        with contextlib.suppress(Exception):  # not there yet: nothing to delete
            store.delete(name)
    # Built whole, then stored once (a stored suite re-saves itself at every expectation added).
    positions = positions or range(len(expectations))
    built = [build_expectation(e, p) for p, e in zip(positions, expectations, strict=True)]
    suite = context.suites.add(gx().ExpectationSuite(name=name, expectations=built))
    return context.validation_definitions.add(
        gx().ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )


# ------------------------------------------------------------------------ parts and chunks


def _read(batch: Batch, part: Part) -> Iterator[pd.DataFrame]:
    """A part's chunks: a DataFrame batch whole, a ``Reader`` batch in chunks."""
    if isinstance(batch.data, pd.DataFrame):
        yield batch.data
    else:
        yield from chunks(batch.data(part), part)


# ------------------------------------------------------------------------------- merging


def _sample(batch: Batch, expectation: Expectation, chunk: pd.DataFrame, result: Any) -> Any:
    """The failing rows of a chunk GX named (row id and the expectation's columns), if any."""
    indexes = (result.result or {}).get("partial_unexpected_index_list") or []
    if not indexes or any(isinstance(i, dict) for i in indexes):
        return None
    shown = list(dict.fromkeys([*batch.row_id, *columns_of(expectation)]))
    return chunk.loc[indexes, [c for c in shown if c in chunk.columns]]


# ------------------------------------------------------------------------------- running


def _validate_batch(context: Any, name: str, batch: Batch) -> tuple[Any, int, dict[int, Any]]:
    """GX's result of one batch (its parts' chunks merged, stored under ``name`` for Data
    Docs), its row count and the failing rows sampled per expectation position."""
    merged: dict[int, Any] = {}
    samples: dict[int, list[pd.DataFrame]] = {}
    rows: int | None = None
    last: Any = None
    for number, part in enumerate(plan(batch.expectations, batch.row_id)):
        expectations = [batch.expectations[p] for p in part.positions]
        definition = _validation_definition(
            context, f"{name}.part{number}", expectations, part.positions, asset_name=name
        )
        part_rows = 0
        for chunk in _read(batch, part):
            part_rows += len(chunk)
            last = definition.run(
                batch_parameters={"dataframe": chunk},
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": SAMPLE_SIZE,
                },
            )
            with contextlib.suppress(Exception):  # only the merged result is kept
                context.validation_results_store.remove_key(
                    _result_key(context, definition.name, last.meta["run_id"])
                )
            for result in last.results:
                position = result.expectation_config.meta[POSITION]
                merged[position] = merge(merged.get(position), result)
                taken = sum(len(s) for s in samples.get(position, []))
                if result.success or taken >= SAMPLE_SIZE:
                    continue
                sample = _sample(batch, batch.expectations[position], chunk, result)
                if sample is not None:
                    samples.setdefault(position, []).append(sample.head(SAMPLE_SIZE - taken))
        rows = part_rows if rows is None else rows
    ordered = [merged[p] for p in sorted(merged)]
    run_id = gx().RunIdentifier(run_time=datetime.datetime.now(datetime.UTC))
    meta = {**last.meta, "run_id": run_id, "validation_time": run_id.run_time}
    outcome = last.__class__(
        success=all(r.success for r in ordered),
        results=ordered,
        suite_name=name,
        suite_parameters=last.suite_parameters,
        statistics=_statistics(ordered),
        meta=meta,
        batch_id=last.batch_id,
    )
    _store(context, name, outcome, run_id)
    return outcome, rows or 0, {p: pd.concat(s) for p, s in samples.items()}


def _statistics(results: Sequence[Any]) -> dict[str, Any]:
    evaluated = len(results)
    successful = sum(bool(r.success) for r in results)
    return {
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": successful / evaluated * 100 if evaluated else None,
    }


def _store(context: Any, name: str, outcome: Any, run_id: Any) -> None:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite_id = ExpectationSuiteIdentifier(name=name)
    context.validation_results_store.store_validation_results(
        suite_validation_result=outcome,
        suite_validation_result_identifier=ValidationResultIdentifier(
            batch_identifier=outcome.batch_id, expectation_suite_identifier=suite_id, run_id=run_id
        ),
        expectation_suite_identifier=suite_id,
    )


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
    docs_dir.mkdir(parents=True, exist_ok=True)
    context = _context(str(docs_dir))
    keys = [key for result in results for key in result.result_keys.values()]
    if not keys:
        return
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
