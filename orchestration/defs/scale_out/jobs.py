"""The scale-out job and its schedule.

``scale_out_materialization`` builds the marts on Spark from the same raw data as the nightly
job and checks them against DuckDB's: the ingestion assets and the raw gate, the DuckDB dbt
build (the reference of the comparison), the raw Parquet export, the Spark dbt build with its
data tests, and the comparison check. It does not publish: the BI file stays the nightly job's.
Its schedule (``SPM_SCALE_OUT_CRON``, default ``0 4 * * *`` UTC) passes the tick's date as the
as-of date, like the nightly one; ``dagster.yaml`` runs one run at a time, so the two queue.
"""

from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.automation.jobs import RETRY_TAGS
from orchestration.defs.dbt.assets import spm_dbt_models
from orchestration.defs.scale_out.keys import spark_selection
from orchestration.settings import SCALE_OUT_CRON_VARIABLE, scale_out_cron, settings_run_config

SCALE_OUT_JOB_NAME = "scale_out_materialization"
TIMEZONE = "UTC"


def scale_out_selection() -> dg.AssetSelection:
    """The Spark assets and every DuckDB dbt model (the whole build: a data test may read a
    model no mart needs), everything upstream of them, and their checks (a selection of assets
    selects their checks too)."""
    return (spark_selection() | dg.AssetSelection.assets(spm_dbt_models)).upstream()


scale_out_materialization = dg.define_asset_job(
    SCALE_OUT_JOB_NAME,
    selection=scale_out_selection(),
    description=(
        "The marts on Apache Spark (dbt target `spark`, docs/scale_out.md): ingestion and the "
        "raw gate, the DuckDB build, raw exported to Parquet, `dbt build` on Spark with its data "
        "tests as checks, and every Spark mart compared with DuckDB's. Publishes nothing."
    ),
    tags=RETRY_TAGS,
)


def build_scale_out_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    cron = cron or scale_out_cron()
    try:
        return _scale_out_schedule(cron)
    except dg.DagsterInvalidDefinitionError as error:
        raise ValueError(f"{SCALE_OUT_CRON_VARIABLE}={cron!r}: {error}") from error


def _scale_out_schedule(cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="scale_out_schedule",
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        job=scale_out_materialization,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Builds the marts on Spark at `{cron}` ({TIMEZONE}, `{SCALE_OUT_CRON_VARIABLE}`) "
            "with `as_of_date` = the tick's date."
        ),
    )
    def scale_out_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time or datetime.now(UTC)
        as_of = tick.astimezone(UTC).date()
        return dg.RunRequest(
            run_config=settings_run_config(as_of),
            tags={"spm/as_of_date": as_of.isoformat(), "spm/trigger": "schedule"},
        )

    return scale_out_schedule
