"""One asset per landing object: its CSV files loaded into ``raw.<source>__<object>``."""

import dagster as dg

from ingestion.contract import OBJECTS, SourceObject, snake_case
from ingestion.loader import AUDIT_SCHEMA, load_object
from orchestration.resources import SpmSettings

GROUP = "ingestion"
REJECT_SAMPLE_SIZE = 10


def raw_asset_key(source: str, name: str) -> dg.AssetKey:
    """Shared with the dbt translator so dbt sources map onto these assets."""
    return dg.AssetKey(["raw", source, snake_case(name)])


def build_ingestion_asset(obj: SourceObject) -> dg.AssetsDefinition:
    key = raw_asset_key(obj.source, obj.name)

    @dg.asset(
        key=key,
        group_name=GROUP,
        kinds={"duckdb", "csv"},
        description=(
            f"Every `{obj.folder}/*.csv` landing file loaded into `raw.{obj.table}` with types "
            "from the source contract and provenance columns (`_source_file`, `_source_line`, "
            "`_file_hash`, `_loaded_at`). Unchanged files are skipped; changed files replace "
            "their rows; unparseable values go to `audit.rejected_rows`."
        ),
    )
    def _ingest(context: dg.AssetExecutionContext, settings: SpmSettings) -> dg.MaterializeResult:
        with settings.connect_warehouse() as con:
            result = load_object(con, settings.landing_path, obj)
        context.log.info(
            f"{obj.folder}: loaded {len(result.files_loaded)} file(s), skipped "
            f"{len(result.files_skipped)} unchanged, removed {len(result.files_removed)}; "
            f"{result.rows_loaded} rows in, {result.rows_rejected} rejected"
        )
        return dg.MaterializeResult(
            metadata={
                "table": result.table,
                "dagster/row_count": result.table_rows,
                "rows_loaded": result.rows_loaded,
                "rows_rejected": result.rows_rejected,
                "files_loaded": result.files_loaded,
                "files_skipped_unchanged": result.files_skipped,
                "files_removed": result.files_removed,
            }
        )

    @dg.asset_check(
        asset=key,
        name="no_rejected_rows",
        description="Rows of this object whose values did not parse (kept in audit.rejected_rows).",
    )
    def _rejected_rows_check(settings: SpmSettings) -> dg.AssetCheckResult:
        with settings.connect_warehouse(read_only=True) as con:
            rejected = con.execute(
                f"select count(*) from {AUDIT_SCHEMA}.rejected_rows where object_folder = ?",
                [obj.folder],
            ).fetchone()[0]
            sample = con.execute(
                f"select source_file, line_number, column_name, raw_value, reason "
                f"from {AUDIT_SCHEMA}.rejected_rows where object_folder = ? "
                f"order by source_file, line_number limit {REJECT_SAMPLE_SIZE}",
                [obj.folder],
            ).fetchall()
        return dg.AssetCheckResult(
            passed=rejected == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rejected_rows": rejected,
                "sample": dg.MetadataValue.md(_sample_table(sample)),
            },
        )

    return dg.Definitions(assets=[_ingest], asset_checks=[_rejected_rows_check])


def _sample_table(rows: list[tuple]) -> str:
    if not rows:
        return "no rejected rows"
    lines = ["| file | line | column | value | reason |", "|---|---|---|---|---|"]
    lines += [f"| {f} | {ln} | {c} | `{v}` | {r} |" for f, ln, c, v, r in rows]
    return "\n".join(lines)


defs = dg.Definitions.merge(*(build_ingestion_asset(obj) for obj in OBJECTS))
