"""The nightly schedule: every asset and check, with ``as_of_date`` = the tick's date (UTC).

``SPM_NIGHTLY_CRON`` (default ``0 2 * * *``, 02:00 UTC) sets when; it is read when the code
location loads, since a schedule's cron is part of its definition.
"""

import os
from datetime import UTC, date, datetime

import dagster as dg

from orchestration.jobs import nightly_materialization
from orchestration.resources import DEFAULTS
from orchestration.settings_validation import CRON_VARIABLE, DEFAULT_CRON, parse_cron

TIMEZONE = "UTC"

# SpmSettings fields and the variables they come from (``resources.settings_from_env``).
SETTINGS_VARIABLES = {
    "landing_dir": "SPM_LANDING_DIR",
    "warehouse": "SPM_WAREHOUSE",
    "bi_database": "SPM_BI_DATABASE",
}


def nightly_cron() -> str:
    return parse_cron(CRON_VARIABLE, os.environ.get(CRON_VARIABLE), DEFAULT_CRON)


def settings_run_config(as_of: date) -> dict:
    """Run config for the ``settings`` resource with ``as_of_date`` set.

    Run config for a resource replaces every value given to its constructor, not only the
    fields it names, so the paths are repeated here: as ``{"env": ...}`` when their variable is
    set (resolved by the run, like the ``EnvVar`` of ``settings_from_env``), else the default.
    """
    config: dict[str, object] = {
        field: {"env": variable} if os.environ.get(variable) else DEFAULTS[variable]
        for field, variable in SETTINGS_VARIABLES.items()
    }
    config["as_of_date"] = as_of.isoformat()
    return {"resources": {"settings": {"config": config}}}


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


defs = dg.Definitions(schedules=[build_nightly_schedule()])
