"""One asset per landing object: its CSV files loaded into ``raw.<source>__<object>``.

Bad input does not fail the asset: the loader quarantines it in ``audit.rejected_rows`` and
``audit.rejected_files``. Two checks per object decide what that means for the run:

- ``rejects_within_threshold`` (blocking): fails when any file of the object was rejected, or
  when its rejected rows exceed ``SPM_MAX_REJECT_RATE`` (default 0.01) of its rows, so nothing
  downstream is built and nothing is published;
- ``rejected_rows_below_threshold`` (warning): fails, without blocking, when rows were rejected
  but few enough to go on.
"""

import os
from dataclasses import dataclass

import dagster as dg
import duckdb

from ingestion.contract import OBJECTS, SourceObject, snake_case
from ingestion.loader import AUDIT_SCHEMA, FileRejection, ObjectLoadResult, load_object
from orchestration.jobs import INGESTION_RETRY_POLICY
from orchestration.resources import SpmSettings
from orchestration.settings_validation import parse_fraction

GROUP = "ingestion"
REJECT_SAMPLE_SIZE = 10
MAX_REJECT_RATE_VARIABLE = "SPM_MAX_REJECT_RATE"
DEFAULT_MAX_REJECT_RATE = "0.01"


def raw_asset_key(source: str, name: str) -> dg.AssetKey:
    """Shared with the dbt translator so dbt sources map onto these assets."""
    return dg.AssetKey(["raw", source, snake_case(name)])


def max_reject_rate() -> float:
    """``SPM_MAX_REJECT_RATE``: the share of an object's rows that may be rejected (0 to 1).

    Read when a check runs, not at import, so the environment of the run decides.
    """
    return parse_fraction(
        MAX_REJECT_RATE_VARIABLE,
        os.environ.get(MAX_REJECT_RATE_VARIABLE),
        float(DEFAULT_MAX_REJECT_RATE),
    )


@dataclass(frozen=True)
class RejectSummary:
    """What the audit tables hold for one object, as the checks judge it."""

    rows_loaded: int
    rows_rejected: int
    rejected_files: list[tuple]  # file, reason, line, column
    rejected_rows: list[tuple]  # file, line, column, value, reason (first few)
    max_rate: float

    @property
    def rate(self) -> float:
        total = self.rows_loaded + self.rows_rejected
        return self.rows_rejected / total if total else 0.0

    @property
    def over_threshold(self) -> bool:
        return self.rows_rejected > self.max_rate * (self.rows_loaded + self.rows_rejected)

    @property
    def blocks(self) -> bool:
        return bool(self.rejected_files) or self.over_threshold

    def metadata(self) -> dict[str, dg.MetadataValue | int | float | str]:
        return {
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "reject_rate": round(self.rate, 6),
            "max_reject_rate": self.max_rate,
            "files_rejected": len(self.rejected_files),
            "rejected_files": dg.MetadataValue.md(
                markdown_table(["file", "reason", "line", "column"], self.rejected_files)
            ),
            "rejected_rows_sample": dg.MetadataValue.md(
                markdown_table(["file", "line", "column", "value", "reason"], self.rejected_rows)
            ),
        }


def reject_summary(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, max_rate: float
) -> RejectSummary:
    loaded, rejected = con.execute(
        f"select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) "
        f"from {AUDIT_SCHEMA}.loaded_files where object_folder = ?",
        [obj.folder],
    ).fetchone()
    files = con.execute(
        f"select source_file, reason, line_number, column_name from {AUDIT_SCHEMA}.rejected_files "
        "where object_folder = ? order by source_file",
        [obj.folder],
    ).fetchall()
    rows = con.execute(
        f"select source_file, line_number, column_name, left(raw_value, 80), reason "
        f"from {AUDIT_SCHEMA}.rejected_rows where object_folder = ? "
        f"order by source_file, line_number, column_name limit {REJECT_SAMPLE_SIZE}",
        [obj.folder],
    ).fetchall()
    return RejectSummary(loaded, rejected, files, rows, max_rate)


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "none"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    """A raw value can hold anything; keep the table one row per line."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def log_rejects(
    log: dg.DagsterLogManager, result: ObjectLoadResult, summary: RejectSummary
) -> None:
    """Warn with file, line and column of every rejected file and the first rejected rows."""
    for rejection in result.files_rejected:
        log.warning(f"rejected file {rejection}")
    new = {rejection.file for rejection in result.files_rejected}
    for file, reason, line, column in summary.rejected_files:
        if file not in new:
            log.warning(
                f"still rejected (unchanged) file {FileRejection(file, reason, line, column)}"
            )
    for file, line, column, _, reason in summary.rejected_rows:
        where = f"{file}, line {line}" + (f", column {column}" if column else "")
        log.warning(f"rejected row {where}: {reason}")
    if summary.rows_rejected > len(summary.rejected_rows):
        log.warning(
            f"{summary.rows_rejected} rejected rows in all: see {AUDIT_SCHEMA}.rejected_rows"
        )


def build_reject_checks(obj: SourceObject) -> list[dg.AssetChecksDefinition]:
    key = raw_asset_key(obj.source, obj.name)

    @dg.asset_check(
        asset=key,
        name="rejects_within_threshold",
        blocking=True,
        description=(
            f"Blocks the run when a `{obj.folder}` file was rejected as a whole "
            f"(`{AUDIT_SCHEMA}.rejected_files`) or rejected rows (`{AUDIT_SCHEMA}.rejected_rows`) "
            f"exceed `{MAX_REJECT_RATE_VARIABLE}` (default {DEFAULT_MAX_REJECT_RATE}) of the "
            "object's rows. Fix or re-export the file named in the metadata; it is re-read when "
            "its content changes."
        ),
    )
    def _within_threshold(settings: SpmSettings) -> dg.AssetCheckResult:
        with settings.connect_warehouse(read_only=True) as con:
            summary = reject_summary(con, obj, max_reject_rate())
        return dg.AssetCheckResult(
            passed=not summary.blocks,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=summary.metadata(),
        )

    @dg.asset_check(
        asset=key,
        name="rejected_rows_below_threshold",
        description=(
            f"Warns (without blocking) when rows of `{obj.folder}` were rejected but stay within "
            f"`{MAX_REJECT_RATE_VARIABLE}`; they wait in `{AUDIT_SCHEMA}.rejected_rows` with "
            "file, line, column and reason."
        ),
    )
    def _below_threshold(settings: SpmSettings) -> dg.AssetCheckResult:
        with settings.connect_warehouse(read_only=True) as con:
            summary = reject_summary(con, obj, max_reject_rate())
        tolerated = summary.rows_rejected > 0 and not summary.over_threshold
        return dg.AssetCheckResult(
            passed=not tolerated,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=summary.metadata(),
        )

    return [_within_threshold, _below_threshold]


def build_ingestion_asset(obj: SourceObject) -> dg.Definitions:
    key = raw_asset_key(obj.source, obj.name)

    @dg.asset(
        key=key,
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        retry_policy=INGESTION_RETRY_POLICY,
        description=(
            f"Every `{obj.folder}/*.csv` landing file loaded into `raw.{obj.table}` with types "
            "from the source contract and provenance columns (`_source_file`, `_source_line`, "
            "`_file_hash`, `_loaded_at`). Unchanged files are skipped; changed files replace "
            f"their rows; broken rows go to `{AUDIT_SCHEMA}.rejected_rows`, unreadable files to "
            f"`{AUDIT_SCHEMA}.rejected_files`."
        ),
    )
    def _ingest(context: dg.AssetExecutionContext, settings: SpmSettings) -> dg.MaterializeResult:
        with settings.connect_warehouse() as con:
            result = load_object(con, settings.landing_path, obj)
            summary = reject_summary(con, obj, max_rate=0.0)
        context.log.info(
            f"{obj.folder}: loaded {len(result.files_loaded)} file(s), skipped "
            f"{len(result.files_skipped)} unchanged, removed {len(result.files_removed)}, "
            f"rejected {len(result.files_rejected)} (+{len(result.files_still_rejected)} still); "
            f"{result.rows_loaded} rows in, {result.rows_rejected} rejected"
        )
        log_rejects(context.log, result, summary)
        return dg.MaterializeResult(
            metadata={
                "table": result.table,
                "dagster/row_count": result.table_rows,
                "rows_loaded": result.rows_loaded,
                "rows_rejected": result.rows_rejected,
                "files_loaded": result.files_loaded,
                "files_skipped_unchanged": result.files_skipped,
                "files_removed": result.files_removed,
                "files_rejected": [str(rejection) for rejection in result.files_rejected],
                "files_still_rejected": result.files_still_rejected,
            }
        )

    return dg.Definitions(assets=[_ingest], asset_checks=build_reject_checks(obj))


defs = dg.Definitions.merge(*(build_ingestion_asset(obj) for obj in OBJECTS))
