"""Asset keys of the Spark build: the DuckDB pipeline's keys under the prefix ``spark``.

``spark/raw/<source>/<object>`` is a raw table as a Parquet dataset, ``spark/<model>`` a dbt
model built on Spark; the nightly job leaves everything under the prefix out.
"""

import dagster as dg

SPARK_PREFIX = "spark"


def spark_key(duckdb_key: dg.AssetKey) -> dg.AssetKey:
    """The Spark counterpart of an asset of the DuckDB pipeline."""
    return dg.AssetKey([SPARK_PREFIX, *duckdb_key.path])


def spark_selection() -> dg.AssetSelection:
    """Every asset of the scale-out path (the Parquet export and the Spark dbt models)."""
    return dg.AssetSelection.key_prefixes([SPARK_PREFIX])
