"""The Great Expectations suites of ``expectations.py`` as blocking Dagster asset checks.

One check named ``great_expectations`` per raw object (``raw/<source>/<object>``) and per mart
(``marts/<mart>``). The check reads its frames from the working DuckDB (raw objects as their
current records, marts before publish), runs the suite with GX on pandas and returns:

- passed when no expectation failed; else severity ERROR when an error-level expectation failed
  (blocking: nothing downstream, publish included, runs), WARN when only warnings failed;
- metadata: the failed expectations (column, severity, observed value), a sample of failing
  rows (for raw objects with the file and line they came from), counts, and a link to the GX
  Data Docs page written under ``<warehouse folder>/gx_data_docs/``.

A suite that cannot run at all (a table missing, a SQL or GX error) fails the check with
severity ERROR and says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER, SCHEMA, SourceObject
from ingestion.loader import quote_ident
from orchestration.expectations import (
    MART_SUITES,
    Expectation,
    Frame,
    ValuesOf,
    mart_suite,
    raw_suite,
)
from orchestration.gx_runner import Batch, SuiteResult, validate
from orchestration.ingestion_assets import raw_asset_key
from orchestration.resources import SpmSettings

CHECK_NAME = "great_expectations"
MARTS_SCHEMA = "marts"
DOCS_FOLDER = "gx_data_docs"
ROWS_SHOWN = 10  # failing rows shown per failed expectation
FAILURES_WITH_ROWS_SHOWN = 10

PLACEHOLDER = re.compile(r"\{([a-z_]+/[A-Za-z_]+)\}")
MART_REFERENCE = re.compile(rf"\b{MARTS_SCHEMA}\.([a-z_0-9]+)\b")


def docs_dir(settings: SpmSettings) -> Path:
    return settings.warehouse_path.parent / DOCS_FOLDER


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
            from {SCHEMA}.{obj.table}
        ) as versions
        where _version_rank = 1{live}
    """


def expand(sql: str) -> str:
    """Replace ``{source/Object}`` with that object's current records."""
    return PLACEHOLDER.sub(lambda m: f"({current_records_sql(OBJECTS_BY_FOLDER[m[1]])})", sql)


def referenced_columns(expectations: Iterable[Expectation]) -> list[str]:
    """Columns an expectation reads, row conditions included, in first-seen order."""
    names: list[str] = []
    for expectation in expectations:
        kwargs = expectation.kwargs
        names += [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        names += list(kwargs.get("column_list", []))
        names += [condition.column for condition in kwargs.get("row_condition", ())]
    return list(dict.fromkeys(names))


def _table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
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


def _resolve(
    con: duckdb.DuckDBPyConnection, expectations: Sequence[Expectation]
) -> list[Expectation]:
    """Expectations with every ``ValuesOf`` replaced by the values it names."""
    resolved = []
    for expectation in expectations:
        kwargs = dict(expectation.kwargs)
        for key, value in kwargs.items():
            if isinstance(value, ValuesOf):
                column = quote_ident(value.column)
                source = current_records_sql(OBJECTS_BY_FOLDER[value.folder])
                kwargs[key] = [
                    row[0]
                    for row in con.execute(
                        f"select distinct {column} from ({source}) as lookup "
                        f"where {column} is not null order by 1"
                    ).fetchall()
                ]
        resolved.append(Expectation(expectation.type, expectation.severity, kwargs))
    return resolved


def read_batches(
    con: duckdb.DuckDBPyConnection,
    frames: Sequence[Frame],
    own_source: str,
    own_columns: Sequence[str],
) -> list[Batch]:
    """Each frame's DataFrame from DuckDB; ``sql`` None means the suite's own rows."""
    batches = []
    for frame in frames:
        sql = own_rows_sql(frame, own_source, own_columns) if frame.sql is None else frame.sql
        data: pd.DataFrame = con.execute(expand(sql)).df()
        batches.append(Batch(frame.name, data, _resolve(con, frame.expectations), frame.row_id))
    return batches


def raw_suite_name(obj: SourceObject) -> str:
    """``raw.salesforce.opportunity``: the asset key, dotted."""
    return ".".join(raw_asset_key(obj.source, obj.name).path)


def run_raw_suite(settings: SpmSettings, obj: SourceObject) -> SuiteResult:
    frames = raw_suite(obj)
    with settings.connect_warehouse(read_only=True) as con:
        columns = _table_columns(con, SCHEMA, obj.table)
        batches = read_batches(con, frames, f"({current_records_sql(obj)})", columns)
    return validate(raw_suite_name(obj), batches, docs_dir(settings))


def run_mart_suite(settings: SpmSettings, mart: str) -> SuiteResult:
    frames = mart_suite(mart)
    with settings.connect_warehouse(read_only=True) as con:
        columns = _table_columns(con, MARTS_SCHEMA, mart)
        batches = read_batches(con, frames, f"{MARTS_SCHEMA}.{quote_ident(mart)}", columns)
    return validate(f"{MARTS_SCHEMA}.{mart}", batches, docs_dir(settings))


# ------------------------------------------------------------------------- check results


def _cell(value: Any) -> str:
    text = "NULL" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
    return str(text).replace("|", "\\|").replace("\n", " ")


def failures_table(result: SuiteResult) -> str:
    if not result.failures:
        return "none"
    lines = [
        "| frame | expectation | column | severity | observed value |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.frame} | {_cell(f.expectation)} | {_cell(f.column)} | {f.severity} | "
        f"{_cell(f.observed)} |"
        for f in sorted(result.failures, key=lambda f: f.severity != "error")
    ]
    return "\n".join(lines)


def failing_rows(result: SuiteResult) -> str:
    sections = []
    for failure in result.failures:
        if failure.sample_rows is None or failure.sample_rows.empty:
            continue
        rows = failure.sample_rows.head(ROWS_SHOWN)
        header = "| " + " | ".join(_cell(c) for c in rows.columns) + " |"
        lines = [header, "|" + "---|" * len(rows.columns)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows.itertuples(False)]
        more = (failure.unexpected_count or 0) - len(rows)
        if more > 0:
            lines.append(f"\n{more} more failing rows not shown (see Data Docs)")
        sections.append(
            f"**{_cell(failure.expectation)}** on `{failure.column}` ({failure.severity}):\n\n"
            + "\n".join(lines)
        )
        if len(sections) == FAILURES_WITH_ROWS_SHOWN:
            break
    return "\n\n".join(sections) or "none"


def _summary(result: SuiteResult) -> str:
    if result.success:
        return f"{result.evaluated} expectations passed"
    worst = result.errors or result.warnings
    first = worst[0]
    return (
        f"{len(result.errors)} error-level and {len(result.warnings)} warning-level expectation(s) "
        f"failed, e.g. {first.expectation} on {first.column}: {first.observed}"
    )


def check_result(result: SuiteResult) -> dg.AssetCheckResult:
    metadata: dict[str, Any] = {
        "suite": result.suite,
        "expectations_evaluated": result.evaluated,
        "failed_error_level": len(result.errors),
        "failed_warning_level": len(result.warnings),
        "rows_validated": dg.MetadataValue.json(result.rows),
        "failed_expectations": dg.MetadataValue.md(failures_table(result)),
        "failing_rows_sample": dg.MetadataValue.md(failing_rows(result)),
    }
    if result.docs_page:
        metadata["data_docs"] = dg.MetadataValue.url(result.docs_page.as_uri())
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR if result.errors else dg.AssetCheckSeverity.WARN,
        description=_summary(result),
        metadata=metadata,
    )


def crashed_result(suite: str, exc: Exception) -> dg.AssetCheckResult:
    message = f"{type(exc).__name__}: {exc}"
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"suite {suite} could not run: {message}",
        metadata={"suite": suite, "error": dg.MetadataValue.md(f"```\n{message}\n```")},
    )


# ------------------------------------------------------------------------------- checks


def _frames_read(frames: Sequence[Frame]) -> tuple[set[str], set[str]]:
    """Raw object folders and marts the frames read besides their own rows."""
    folders: set[str] = set()
    marts: set[str] = set()
    for frame in frames:
        folders |= set(PLACEHOLDER.findall(frame.sql or ""))
        marts |= set(MART_REFERENCE.findall(frame.sql or ""))
        for expectation in frame.expectations:
            folders |= {v.folder for v in expectation.kwargs.values() if isinstance(v, ValuesOf)}
    return folders, marts


def _description(suite: str, frames: Sequence[Frame]) -> str:
    errors = sum(e.severity == "error" for f in frames for e in f.expectations)
    warnings = sum(e.severity == "warning" for f in frames for e in f.expectations)
    return (
        f"Great Expectations suite `{suite}` ({errors} error-level, {warnings} warning-level "
        f"expectations over {', '.join(f.name for f in frames)}; declared in "
        "orchestration/expectations.py). Error-level failures block publish."
    )


def _build_check(
    key: dg.AssetKey,
    suite: str,
    frames: Sequence[Frame],
    deps: Sequence[dg.AssetKey],
    run: Callable[[SpmSettings], SuiteResult],
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=True,
        additional_deps=list(deps),
        description=_description(suite, frames),
    )
    def _great_expectations(settings: SpmSettings) -> dg.AssetCheckResult:
        try:
            result = run(settings)
        except Exception as exc:  # a suite that cannot run fails, loudly
            return crashed_result(suite, exc)
        return check_result(result)

    return _great_expectations


def build_raw_check(obj: SourceObject) -> dg.AssetChecksDefinition:
    frames = raw_suite(obj)
    folders, _ = _frames_read(frames)
    deps = [
        raw_asset_key(OBJECTS_BY_FOLDER[f].source, OBJECTS_BY_FOLDER[f].name)
        for f in sorted(folders - {obj.folder})
    ]
    return _build_check(
        raw_asset_key(obj.source, obj.name),
        raw_suite_name(obj),
        frames,
        deps,
        lambda settings: run_raw_suite(settings, obj),
    )


def build_mart_check(mart: str) -> dg.AssetChecksDefinition:
    frames = mart_suite(mart)
    _, marts = _frames_read(frames)
    deps = [dg.AssetKey([MARTS_SCHEMA, m]) for m in sorted(marts - {mart})]
    return _build_check(
        dg.AssetKey([MARTS_SCHEMA, mart]),
        f"{MARTS_SCHEMA}.{mart}",
        frames,
        deps,
        lambda settings: run_mart_suite(settings, mart),
    )


RAW_CHECKS: Mapping[str, dg.AssetChecksDefinition] = {
    obj.folder: build_raw_check(obj) for obj in OBJECTS
}
MART_CHECKS: Mapping[str, dg.AssetChecksDefinition] = {
    mart: build_mart_check(mart) for mart in MART_SUITES
}

defs = dg.Definitions(asset_checks=[*RAW_CHECKS.values(), *MART_CHECKS.values()])
