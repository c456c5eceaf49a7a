"""A failed run as a person needs it: which step or check failed, why, and a link to the run;
the JSON a webhook gets and how it is posted. ``defs/automation/alerts.py`` has the sensor."""

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from spm_common.config_values import redacted_url

LOGGER = logging.getLogger(__name__)

WEBSERVER_VARIABLE = "DAGSTER_WEBSERVER_URL"
DEFAULT_WEBSERVER_URL = "http://127.0.0.1:3000"
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class FailedStep:
    step: str
    reason: str


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    severity: str
    reason: str


def run_url(run_id: str, base_url: str | None = None) -> str:
    base = base_url or os.environ.get(WEBSERVER_VARIABLE) or DEFAULT_WEBSERVER_URL
    return f"{base.rstrip('/')}/runs/{run_id}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def failure_summary(
    job: str,
    run_id: str,
    run_message: str,
    failed_steps: Iterable[FailedStep],
    failed_checks: Iterable[FailedCheck],
    base_url: str | None = None,
) -> dict:
    """What failed, why and where to look, as the JSON the webhook gets; ``text`` for people."""
    steps = list(failed_steps)
    checks = sorted(failed_checks, key=lambda c: (c.severity != "ERROR", c.asset, c.check))
    url = run_url(run_id, base_url)
    lines = [f"Dagster run failed: job {job}, run {run_id}", url]
    lines += [f"- check {c.asset}: {c.check} [{c.severity}]: {_clip(c.reason)}" for c in checks]
    lines += [f"- step {s.step}: {_clip(s.reason)}" for s in steps]
    if not steps and not checks:
        lines.append(f"- run: {_clip(run_message)}")
    return {
        "text": "\n".join(lines),
        "job": job,
        "run_id": run_id,
        "url": url,
        "message": run_message,
        "failed_checks": [
            {"asset": c.asset, "check": c.check, "severity": c.severity, "reason": c.reason}
            for c in checks
        ],
        "failed_steps": [{"step": s.step, "reason": s.reason} for s in steps],
    }


def post_json(url: str, payload: dict, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> bool:
    """POST ``payload``; a failure is logged, never raised (an alert must not fail a sensor)."""
    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
        return True
    except (urllib.error.URLError, OSError, ValueError) as error:
        # The error text may quote the URL: neither is logged in full.
        reason = type(error).__name__
        LOGGER.warning("could not POST the failure alert to %s: %s", redacted_url(url), reason)
        return False


def _check_reason(evaluation) -> str:
    if evaluation.description:
        return evaluation.description
    facts = [
        f"{name}={entry.value}"
        for name, entry in evaluation.metadata.items()
        if isinstance(entry.value, int | float | str) and len(str(entry.value)) < 80
    ]
    return ", ".join(facts[:6]) or "failed"


def failed_checks_of_run(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """The check evaluations of the run that did not pass, read from the event log."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            failed.append(
                FailedCheck(
                    asset=evaluation.asset_key.to_user_string(),
                    check=evaluation.check_name,
                    severity=evaluation.severity.value,
                    reason=_check_reason(evaluation),
                )
            )
    return failed


def failed_steps_of_run(context: dg.RunFailureSensorContext) -> list[FailedStep]:
    steps = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        # Dagster wraps an exception of user code; the cause is what a person needs.
        while error and error.cause:
            error = error.cause
        reason = f"{error.cls_name}: {error.message}" if error else event.message or "failed"
        steps.append(FailedStep(step=event.step_key or "?", reason=reason))
    return steps
