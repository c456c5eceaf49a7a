"""The failure alert: which step, asset or check of a failed run failed, why, and where.

``run_failure_alert`` writes it to the sensor log with a link to the run and, when
``SPM_ALERT_WEBHOOK`` is set, POSTs the same as JSON (with a ``text`` field, which Slack and
Teams incoming webhooks display as is).
"""

import dagster as dg

from orchestration.lib.dagster.alerts import (
    failed_checks_of_run,
    failed_steps_of_run,
    failure_summary,
    post_json,
)
from spm_common.settings import WEBHOOK_VARIABLE, ConfigurationError, alert_webhook


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Logs which step, asset or check of a failed run failed, why, and a link to the run; "
        "POSTs it as JSON to `SPM_ALERT_WEBHOOK` when set."
    ),
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    summary = failure_summary(
        job=run.job_name,
        run_id=run.run_id,
        run_message=context.failure_event.message or "",
        failed_steps=failed_steps_of_run(context),
        failed_checks=failed_checks_of_run(context.instance, run.run_id),
    )
    context.log.error(summary["text"])
    try:
        webhook = alert_webhook()
    except ConfigurationError as error:
        context.log.warning(f"failure alert not posted: {error}")
        return
    if webhook and post_json(webhook, summary):
        context.log.info(f"failure alert posted to {WEBHOOK_VARIABLE}")
