"""The nightly job, its schedule, the landing sensor and the failure alert."""

import dagster as dg

from orchestration.defs.automation.alerts import run_failure_alert
from orchestration.defs.automation.jobs import nightly_materialization
from orchestration.defs.automation.schedules import build_nightly_schedule
from orchestration.defs.automation.sensors import landing_sensor

defs = dg.Definitions(
    jobs=[nightly_materialization],
    schedules=[build_nightly_schedule()],
    sensors=[landing_sensor, run_failure_alert],
)
