"""The raw tables as Parquet datasets, the raw layer dbt's ``spark`` target reads.

One asset per raw table (``spark/raw/<source>/<object>``), each downstream of its DuckDB raw
asset, so a blocking check of the raw gate holds the export as it holds the DuckDB build. They
are written by one step: ``export_raw`` writes each dataset beside its place and swaps it in
(``orchestration/lib/scale_out/compare.py``). On a cluster, ``SPM_RAW_PARQUET_DIR`` is the
lake's folder Spark reads (docs/scale_out.md).
"""

from collections.abc import Iterator

import dagster as dg

from ingestion.contract import OBJECTS
from orchestration.defs.resources import SparkSettings, SpmSettings
from orchestration.lib.dagster.keys import raw_asset_key, spark_key
from orchestration.lib.ledger.store import TABLES as LEDGER_TABLES
from orchestration.lib.scale_out.compare import export_raw
from spm_common.schemas import LEDGER_SCHEMA

GROUP = "spark_raw"


def raw_parquet_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=spark_key(raw_asset_key(obj.source, obj.name)),
            deps=[raw_asset_key(obj.source, obj.name)],
            group_name=GROUP,
            kinds={"parquet", "duckdb"},
            description=(
                f"`raw.{obj.table}` of the working DuckDB as the Parquet dataset "
                f"`$SPM_RAW_PARQUET_DIR/{obj.table}/`, registered as `raw.{obj.table}` in Spark "
                "by the dbt project's on-run-start hook."
            ),
        )
        for obj in OBJECTS
    ] + [
        dg.AssetSpec(
            key=spark_key(raw_asset_key(LEDGER_SCHEMA, table)),
            deps=[raw_asset_key(LEDGER_SCHEMA, table)],
            group_name=GROUP,
            kinds={"parquet", "duckdb"},
            description=(
                f"`{LEDGER_SCHEMA}.{table}` of the working DuckDB (the payout ledger's copy) as "
                f"the Parquet dataset `$SPM_RAW_PARQUET_DIR/{table}/`, registered as "
                f"`{LEDGER_SCHEMA}.{table}` in Spark."
            ),
        )
        for table in LEDGER_TABLES
    ]


@dg.multi_asset(specs=raw_parquet_specs(), name="raw_parquet")
def raw_parquet(
    context: dg.AssetExecutionContext, settings: SpmSettings, spark: SparkSettings
) -> Iterator[dg.MaterializeResult]:
    exported = {
        table.table: table for table in export_raw(settings.warehouse_path, spark.raw_parquet_path)
    }
    for obj in OBJECTS:
        table = exported.get(obj.table)
        if table is None:
            raise RuntimeError(
                f"raw.{obj.table} is not in {settings.warehouse_path}: run its ingestion first"
            )
        yield dg.MaterializeResult(
            asset_key=spark_key(raw_asset_key(obj.source, obj.name)),
            metadata={
                "dagster/row_count": table.rows,
                "path": dg.MetadataValue.path(str(table.path)),
            },
        )
    ledger = {
        table.table: table
        for table in export_raw(settings.warehouse_path, spark.raw_parquet_path, LEDGER_SCHEMA)
    }
    for name in LEDGER_TABLES:
        table = ledger[name]
        yield dg.MaterializeResult(
            asset_key=spark_key(raw_asset_key(LEDGER_SCHEMA, name)),
            metadata={
                "dagster/row_count": table.rows,
                "path": dg.MetadataValue.path(str(table.path)),
            },
        )
    context.log.info(
        f"{len(exported)} raw and {len(ledger)} ledger tables exported to {spark.raw_parquet_path}"
    )
