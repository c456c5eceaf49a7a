"""The schedules: every asset and check nightly, and the Spark scale-out job (``SPM_SCALE_OUT=1``),
each with ``as_of_date`` = the tick's date (UTC).

``SPM_NIGHTLY_CRON`` (default ``0 2 * * *``, 02:00 UTC) and ``SPM_SCALE_OUT_CRON`` (default
``0 4 * * *``) set when; they are read when the code location loads, since a schedule's cron is
part of its definition. The instance runs one run at a time (``dagster.yaml``), so a scale-out
run that starts while the nightly one still runs waits in the queue.
"""

from datetime import UTC, datetime
from typing import Any

import dagster as dg

from orchestration.defs.automation.jobs import nightly_materialization, scale_out_materialization
from orchestration.defs.automation.sensors import landing_state
from orchestration.defs.resources import settings_run_config
from spm_common.settings import (
    CRON_VARIABLE,
    LANDING_DIR_VARIABLE,
    SCALE_OUT_CRON_VARIABLE,
    env_path,
    nightly_cron,
    scale_out_cron,
    settle_seconds,
)

TIMEZONE = "UTC"


def build_nightly_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    return as_of_schedule(
        "nightly_schedule",
        nightly_materialization,
        cron or nightly_cron(),
        CRON_VARIABLE,
        "Materializes every asset and check",
    )


def build_scale_out_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    return as_of_schedule(
        "scale_out_schedule",
        scale_out_materialization,
        cron or scale_out_cron(),
        SCALE_OUT_CRON_VARIABLE,
        "Builds the marts on Spark and compares them with DuckDB's",
    )


def as_of_schedule(
    name: str, job: Any, cron: str, variable: str, what: str
) -> dg.ScheduleDefinition:
    """``job`` at ``cron`` (UTC) with ``as_of_date`` = the tick's date; a cron Dagster refuses
    is a ``ValueError`` naming ``variable``."""
    try:
        return _as_of_schedule(name, job, cron, variable, what)
    except dg.DagsterInvalidDefinitionError as error:
        raise ValueError(f"{variable}={cron!r}: {error}") from error


def _as_of_schedule(
    name: str, job: Any, cron: str, variable: str, what: str
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=name,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"{what} at `{cron}` ({TIMEZONE}, `{variable}`) with `as_of_date` = the tick's date."
        ),
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        # The landing sensor's settle time: no run on files still being written. The sensor
        # starts the run once they settle (their fingerprint is new to it).
        unsettled = landing_state(env_path(LANDING_DIR_VARIABLE)).unsettled(settle_seconds())
        if unsettled:
            return dg.SkipReason(f"{unsettled}; the landing sensor starts the run once it settles")
        tick = context.scheduled_execution_time or datetime.now(UTC)
        as_of = tick.astimezone(UTC).date()
        return dg.RunRequest(
            run_config=settings_run_config(as_of),
            tags={"spm/as_of_date": as_of.isoformat(), "spm/trigger": "schedule"},
        )

    return schedule
