"""The engine comparison: every mart Spark built equals the DuckDB build's, as an asset check.

One check ``equals_duckdb`` per Spark mart (``spark/<mart>``), all evaluated in one step that
reads the DuckDB marts and the Spark marts' Parquet files (``compare_each`` in
``orchestration/lib/scale_out/compare.py``: the same columns, row count and values, doubles to 1e-9
relative). Each check depends on the DuckDB mart it compares with, so the job builds both.
A difference fails the check with the rows and columns that differ in its metadata.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.dbt.assets import models_in_schema
from orchestration.defs.resources import SparkSettings, SpmSettings
from orchestration.lib.dagster.keys import spark_key
from orchestration.lib.scale_out.compare import compare_each
from spm_common.schemas import MARTS_SCHEMA

CHECK_NAME = "equals_duckdb"


def comparison_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=spark_key(key),
            additional_deps=[key],
            blocking=True,
            description=(
                f"Spark's `{MARTS_SCHEMA}.{key.path[-1]}` equals DuckDB's: the same columns, "
                "row count and values (doubles to 1e-9 relative)."
            ),
        )
        for key in models_in_schema(MARTS_SCHEMA)
    ]


@dg.multi_asset_check(specs=comparison_specs(), can_subset=True, name="spark_marts_equal_duckdb")
def spark_marts_equal_duckdb(
    context: dg.AssetCheckExecutionContext, settings: SpmSettings, spark: SparkSettings
) -> Iterator[dg.AssetCheckResult]:
    results = compare_each(settings.warehouse_path, spark.marts_path)
    for check_key in context.selected_asset_check_keys:
        mart = check_key.asset_key.path[-1]
        result = results.get(mart)
        if result is None:
            problems, rows = [f"no table {MARTS_SCHEMA}.{mart} in {settings.warehouse_path}"], 0
        else:
            problems, rows = result.problems, result.rows
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=not problems,
            description=(
                f"{rows:,} rows equal to DuckDB's"
                if not problems
                else f"differs from DuckDB's {MARTS_SCHEMA}.{mart}: {problems[0]}"
            ),
            metadata={
                "duckdb_rows": rows,
                "differences": dg.MetadataValue.md(
                    "\n".join(f"- {problem}" for problem in problems) or "none"
                ),
                "spark_dataset": dg.MetadataValue.path(str(spark.marts_path / mart)),
                "duckdb_warehouse": dg.MetadataValue.path(str(settings.warehouse_path)),
            },
        )
