"""A raw suite's outcome as the ``great_expectations`` check result of its raw object.

Passed when no expectation failed; else severity ERROR when an error-level expectation failed,
WARN when only warnings failed. Metadata: the failed expectations (column, severity, observed
value), a sample of failing rows with the file and line they came from, counts, and a link to
the suite's GX Data Docs page. A suite that could not run is an ERROR saying why.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from orchestration.lib.dagster.markdown import cell, markdown_table
from orchestration.lib.quality.runner import SuiteResult

CHECK_NAME = "great_expectations"
ROWS_SHOWN = 10  # failing rows shown per failed expectation
FAILURES_WITH_ROWS_SHOWN = 10


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


def check_result(asset_key: dg.AssetKey, result: SuiteResult) -> dg.AssetCheckResult:
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
        asset_key=asset_key,
        check_name=CHECK_NAME,
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR if result.errors else dg.AssetCheckSeverity.WARN,
        description=_summary(result),
        metadata=metadata,
    )


def crashed_result(asset_key: dg.AssetKey, suite: str, exc: Exception) -> dg.AssetCheckResult:
    message = f"{type(exc).__name__}: {exc}"
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CHECK_NAME,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"suite {suite} could not run: {message}",
        metadata={"suite": suite, "error": dg.MetadataValue.md(f"```\n{message}\n```")},
    )
