"""Asset keys shared by several concerns, made in one place.

``raw/<source>/<object>`` is a raw table (the ingestion assets; dbt sources map onto them).
The Spark build's keys are the DuckDB pipeline's under the prefix ``spark``:
``spark/raw/<source>/<object>`` is a raw table as a Parquet dataset, ``spark/<model>`` a dbt
model built on Spark; the nightly job leaves everything under the prefix out.
"""

import dagster as dg

from ingestion.contract import snake_case
from orchestration.lib.ledger.store import TABLES as LEDGER_TABLES
from spm_common.schemas import LEDGER_SCHEMA, RAW_SCHEMA

SPARK_PREFIX = "spark"


def raw_asset_key(source: str, name: str) -> dg.AssetKey:
    """The ingestion asset of a landing object, and the dbt source read from its raw table."""
    return dg.AssetKey([RAW_SCHEMA, source, snake_case(name)])


def ledger_asset_keys() -> dict[str, dg.AssetKey]:
    """The warehouse's copy of each payout-ledger table (``raw/ledger/<table>``), made by the
    ``payout_ledger`` step after the chain was verified; ingestion waits for it."""
    return {table: raw_asset_key(LEDGER_SCHEMA, table) for table in LEDGER_TABLES}


def spark_key(duckdb_key: dg.AssetKey) -> dg.AssetKey:
    """The Spark counterpart of an asset of the DuckDB pipeline."""
    return dg.AssetKey([SPARK_PREFIX, *duckdb_key.path])


def spark_selection() -> dg.AssetSelection:
    """Every asset of the scale-out path (the Parquet export and the Spark dbt models)."""
    return dg.AssetSelection.key_prefixes([SPARK_PREFIX])
