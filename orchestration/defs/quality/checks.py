"""The raw-source gate: each raw object's Great Expectations suite as a blocking asset check.

One check named ``great_expectations`` per raw object (``raw/<source>/<object>``), its suite
declared beside the source contract (``ingestion/expectations.py``). The check reads the
object's current records from the working DuckDB, runs the suite with GX on pandas and returns:

- passed when no expectation failed; else severity ERROR when an error-level expectation failed
  (blocking: nothing downstream, publish included, runs), WARN when only warnings failed;
- metadata: the failed expectations (column, severity, observed value), a sample of failing
  rows with the file and line they came from, counts, and a link to the GX Data Docs page
  written under ``<warehouse folder>/gx_data_docs/``.

A suite that cannot run at all (a table missing, a SQL or GX error) fails the check with
severity ERROR and says why. Rules about models are dbt tests, checks of the dbt assets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER, SourceObject
from ingestion.expectations import Frame, raw_suite
from orchestration.defs.ingestion.assets import raw_asset_key
from orchestration.lib.gx_frames import objects_read, read_batches
from orchestration.lib.gx_runner import SuiteResult, validate
from orchestration.lib.markdown import cell, markdown_table
from orchestration.settings import SpmSettings

CHECK_NAME = "great_expectations"
DOCS_FOLDER = "gx_data_docs"
ROWS_SHOWN = 10  # failing rows shown per failed expectation
FAILURES_WITH_ROWS_SHOWN = 10


def docs_dir(settings: SpmSettings) -> Path:
    return settings.warehouse_path.parent / DOCS_FOLDER


def raw_suite_name(obj: SourceObject) -> str:
    """``raw.salesforce.opportunity``: the asset key, dotted."""
    return ".".join(raw_asset_key(obj.source, obj.name).path)


def run_raw_suite(settings: SpmSettings, obj: SourceObject) -> SuiteResult:
    with settings.connect_warehouse(read_only=True) as con:
        batches = read_batches(con, obj, raw_suite(obj))
    return validate(raw_suite_name(obj), batches, docs_dir(settings))


# ------------------------------------------------------------------------- check results


def failures_table(result: SuiteResult) -> str:
    columns = ["frame", "expectation", "column", "severity", "observed value"]
    failures = sorted(result.failures, key=lambda f: f.severity != "error")
    rows = [(f.frame, f.expectation, f.column, f.severity, f.observed) for f in failures]
    return markdown_table(columns, rows, null="NULL")


def failing_rows(result: SuiteResult) -> str:
    sections = []
    for failure in result.failures:
        if failure.sample_rows is None or failure.sample_rows.empty:
            continue
        rows = failure.sample_rows.head(ROWS_SHOWN)
        table = markdown_table(list(rows.columns), list(rows.itertuples(False)), null="NULL")
        more = (failure.unexpected_count or 0) - len(rows)
        if more > 0:
            table += f"\n\n{more} more failing rows not shown (see Data Docs)"
        title = f"**{cell(failure.expectation)}** on `{failure.column}` ({failure.severity})"
        sections.append(f"{title}:\n\n{table}")
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


def _description(suite: str, frames: Sequence[Frame]) -> str:
    errors = sum(e.severity == "error" for f in frames for e in f.expectations)
    warnings = sum(e.severity == "warning" for f in frames for e in f.expectations)
    return (
        f"Great Expectations suite `{suite}` ({errors} error-level, {warnings} warning-level "
        f"expectations over {', '.join(f.name for f in frames)}; declared in "
        "ingestion/expectations.py). Error-level failures block publish."
    )


def build_raw_check(obj: SourceObject) -> dg.AssetChecksDefinition:
    frames = raw_suite(obj)
    suite = raw_suite_name(obj)
    deps = [
        raw_asset_key(OBJECTS_BY_FOLDER[f].source, OBJECTS_BY_FOLDER[f].name)
        for f in sorted(objects_read(frames) - {obj.folder})
    ]

    @dg.asset_check(
        asset=raw_asset_key(obj.source, obj.name),
        name=CHECK_NAME,
        blocking=True,
        additional_deps=deps,
        description=_description(suite, frames),
    )
    def _great_expectations(settings: SpmSettings) -> dg.AssetCheckResult:
        try:
            result = run_raw_suite(settings, obj)
        except Exception as exc:  # a suite that cannot run fails, loudly
            return crashed_result(suite, exc)
        return check_result(result)

    return _great_expectations


RAW_CHECKS: Mapping[str, dg.AssetChecksDefinition] = {
    obj.folder: build_raw_check(obj) for obj in OBJECTS
}
