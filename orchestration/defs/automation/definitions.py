"""The jobs and their schedules, the landing sensor and the failure alert; the Spark scale-out
job and its schedule only with ``SPM_SCALE_OUT=1`` (its assets: ``defs/scale_out``)."""

import dagster as dg

from orchestration.defs.automation.alerts import run_failure_alert
from orchestration.defs.automation.jobs import nightly_materialization, scale_out_materialization
from orchestration.defs.automation.schedules import build_nightly_schedule, build_scale_out_schedule
from orchestration.defs.automation.sensors import landing_sensor
from spm_common.settings import scale_out_enabled


def automation_definitions() -> dg.Definitions:
    jobs = [nightly_materialization]
    schedules = [build_nightly_schedule()]
    if scale_out_enabled():
        jobs.append(scale_out_materialization)
        schedules.append(build_scale_out_schedule())
    return dg.Definitions(
        jobs=jobs, schedules=schedules, sensors=[landing_sensor, run_failure_alert]
    )
