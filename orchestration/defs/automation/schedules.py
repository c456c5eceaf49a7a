"""The nightly schedule: every asset and check, with ``as_of_date`` = the tick's date (UTC).

``SPM_NIGHTLY_CRON`` (default ``0 2 * * *``, 02:00 UTC) sets when; it is read when the code
location loads, since a schedule's cron is part of its definition.
"""

from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.automation.jobs import nightly_materialization
from orchestration.settings import CRON_VARIABLE, nightly_cron, settings_run_config

TIMEZONE = "UTC"


def build_nightly_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    cron = cron or nightly_cron()
    try:
        return _nightly_schedule(cron)
    except dg.DagsterInvalidDefinitionError as error:
        raise ValueError(f"{CRON_VARIABLE}={cron!r}: {error}") from error


def _nightly_schedule(cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_schedule",
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        job=nightly_materialization,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Materializes every asset and check at `{cron}` ({TIMEZONE}, `{CRON_VARIABLE}`) "
            "with `as_of_date` = the tick's date."
        ),
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time or datetime.now(UTC)
        as_of = tick.astimezone(UTC).date()
        return dg.RunRequest(
            run_config=settings_run_config(as_of),
            tags={"spm/as_of_date": as_of.isoformat(), "spm/trigger": "schedule"},
        )

    return nightly_schedule
