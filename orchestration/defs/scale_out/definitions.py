"""The scale-out path, when ``SPM_SCALE_OUT=1``: the raw Parquet export, the Spark dbt assets,
the engine comparison and the ``spark`` resource (the job and its schedule: ``defs/automation``).

Off by default: the Spark build needs the spark extra and Java (``make install-spark``), and
``dagster asset materialize --select '*'`` would otherwise start a JVM on every run. With it on,
``--select '*'`` also builds on Spark; ``check_environment`` refuses ``SPM_SCALE_OUT=1`` where
dbt-spark, PySpark or Java is missing.
"""

import dagster as dg

from orchestration.defs.resources import spark_settings_from_env
from spm_common.settings import scale_out_enabled


def scale_out_definitions() -> dg.Definitions:
    if not scale_out_enabled():
        return dg.Definitions()
    from orchestration.defs.scale_out.checks import spark_marts_equal_duckdb
    from orchestration.defs.scale_out.dbt import spm_spark_dbt_models
    from orchestration.defs.scale_out.raw_parquet import raw_parquet

    return dg.Definitions(
        assets=[raw_parquet, spm_spark_dbt_models],
        asset_checks=[spark_marts_equal_duckdb],
        resources={"spark": spark_settings_from_env()},
    )
