"""The dbt project built on Spark (profile output ``spark``) as Dagster assets.

The same manifest as the DuckDB build (``orchestration/defs/dbt``), under the key prefix
``spark``: each model is ``spark/<model>`` in a ``spark_<layer>`` group, each dbt source is the
raw Parquet dataset of ``raw_parquet.py``, and each data test is an asset check of its model's
Spark asset (blocking when its severity is ``error``), as dagster-dbt makes them. The step runs
``dbt build`` (models and data tests; the unit tests run in the test suite on both engines) with
the settings of ``SparkSettings`` as the environment dbt's profile reads, and its artifacts in a
target folder of its own, so the DuckDB build's partial parsing is not disturbed.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.assets import dbt_build_args
from orchestration.defs.dbt.translator import SpmDbtTranslator
from orchestration.defs.resources import SparkSettings, SpmSettings
from orchestration.lib.dagster.keys import SPARK_PREFIX, spark_key
from orchestration.lib.dbt.project import spm_dbt_project
from spm_common.settings import exported


class SparkDbtTranslator(SpmDbtTranslator):
    """The DuckDB build's keys and groups, under ``spark``; sources are the Parquet datasets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return spark_key(super().get_asset_key(dbt_resource_props))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return f"{SPARK_PREFIX}_{super().get_group_name(dbt_resource_props)}"


@dbt_assets(
    manifest=spm_dbt_project().manifest_path,
    project=spm_dbt_project(),
    dagster_dbt_translator=SparkDbtTranslator(),
    name="spm_spark_dbt_models",
)
def spm_spark_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: SpmSettings,
    spark: SparkSettings,
) -> Iterator[Any]:
    target_path = spark.spark_path / "dbt_target"
    target_path.mkdir(parents=True, exist_ok=True)
    # The as-of date as the DuckDB build reads it, then the spark output and its settings.
    environment = {**settings.dbt_environment(), **spark.dbt_environment()}
    with exported(environment):
        invocation = dbt.cli(dbt_build_args(), context=context, target_path=target_path)
    yield from invocation.stream()
