"""The jobs: the nightly one (every asset and every check, as the schedule and the landing sensor
run it) and the Spark scale-out one (``SPM_SCALE_OUT=1``, docs/scale_out.md).

Retries, and why a failed quality check is never one of them:

- ``dagster/max_retries`` re-executes a failed run (from the failed step) when the instance has
  ``run_retries`` enabled (``dagster.yaml``; the daemon of ``dagster dev`` does the retrying).
- ``dagster/retry_on_asset_or_op_failure: false`` limits those retries to runs that failed
  without a failed step: the run worker crashed, was killed or could not start. A run failed by a
  step, and so by a blocking check (Dagster fails the check's step with
  ``DagsterAssetCheckFailedError``) or by a dbt test, is not re-executed: the data would fail
  the same way again.
- Transient I/O inside a step (reading the landing folder) is retried by the step's own
  ``RetryPolicy``: ``INGESTION_RETRY_POLICY`` (``defs/ingestion/assets.py``), for the ingestion
  assets only. Dagster never
  applies a ``RetryPolicy`` to a failed check's verdict (it is raised outside user code); a
  policy on the dbt step would re-run ``dbt build`` after a failed dbt test, so it has none.
"""

import dagster as dg

from orchestration.defs.dbt.assets import spm_dbt_models
from orchestration.lib.dagster.keys import spark_selection

NIGHTLY_JOB_NAME = "nightly_materialization"
MAX_RUN_RETRIES = 2

RETRY_TAGS = {
    "dagster/max_retries": str(MAX_RUN_RETRIES),
    "dagster/retry_on_asset_or_op_failure": "false",
    # Re-execute only what did not finish: loaded files and built models are not redone.
    "dagster/retry_strategy": "FROM_FAILURE",
}

nightly_materialization = dg.define_asset_job(
    NIGHTLY_JOB_NAME,
    # The Spark build (SPM_SCALE_OUT=1) is a job of its own: scale_out_materialization.
    # (A selection of assets selects their checks too.)
    selection=(dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks()) - spark_selection(),
    description=(
        "Every asset and asset check: ingestion, the Great Expectations gate on the raw "
        "sources, dbt build (models and tests) and publish. Run-level crashes are retried "
        f"(up to {MAX_RUN_RETRIES} times); a run failed by a check or a step is not."
    ),
    tags=RETRY_TAGS,
)

SCALE_OUT_JOB_NAME = "scale_out_materialization"

# The Spark assets and every DuckDB dbt model (the comparison's reference; the whole build,
# since a data test may read a model no mart needs), everything upstream of them (ingestion and
# the raw gate) and their checks. Not publish, not the statements: the BI file is the nightly's.
scale_out_materialization = dg.define_asset_job(
    SCALE_OUT_JOB_NAME,
    selection=(spark_selection() | dg.AssetSelection.assets(spm_dbt_models)).upstream(),
    description=(
        "The marts on Apache Spark (dbt target `spark`, docs/scale_out.md): ingestion and the "
        "raw gate, the DuckDB build, raw exported to Parquet, `dbt build` on Spark with its data "
        "tests as checks, and every Spark mart compared with DuckDB's. Publishes nothing."
    ),
    tags=RETRY_TAGS,
)
