"""One asset per landing object: its CSV files loaded into ``raw.<source>__<object>``.

Bad input does not fail the asset: the loader quarantines it in ``audit.rejected_rows`` and
``audit.rejected_files`` and the asset logs where (file, line, column); the checks beside it
(``checks.py``) decide what that means for the run. Transient I/O (a landing share that blips)
is retried by the step itself (``INGESTION_RETRY_POLICY``).
"""

import dagster as dg

from ingestion.contract import SourceObject
from ingestion.loader import FileRejection, ObjectLoadResult, load_object
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import ledger_asset_keys, raw_asset_key
from orchestration.lib.quality.rejects import RejectSummary, reject_summary
from spm_common.schemas import AUDIT_SCHEMA

GROUP = "ingestion"
INGESTION_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)


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


def build_ingestion_asset(obj: SourceObject) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(obj.source, obj.name),
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        retry_policy=INGESTION_RETRY_POLICY,
        # The ledger's chain is verified first: a tampered ledger stops the run before anything
        # is loaded (issue 23).
        deps=list(ledger_asset_keys().values()),
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

    return _ingest
