"""Sensors: a run when landing files arrive or change, and an alert when a run fails.

- ``landing_sensor`` fingerprints the landing CSVs (relative path, size, ``mtime_ns``) of every
  object folder under ``SPM_LANDING_DIR``; a fingerprint it has not seen starts the nightly job
  (the run key is the fingerprint, so one state starts at most one run). It waits until no file
  changed for ``SPM_LANDING_SETTLE_SECONDS`` (default 60), so a copy in progress does not start
  a run on half a file.
- ``run_failure_alert`` writes which step, asset or check failed, why, and a link to the run to
  the sensor log and, when ``SPM_ALERT_WEBHOOK`` is set, POSTs the same as JSON (with a
  ``text`` field, which Slack and Teams incoming webhooks display as is).
"""

import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ingestion.contract import OBJECTS
from orchestration.jobs import nightly_materialization
from orchestration.resources import env_value, resolve_path
from orchestration.settings_validation import (
    DEFAULT_SETTLE_SECONDS,
    SETTLE_VARIABLE,
    WEBHOOK_VARIABLE,
    ConfigurationError,
    parse_http_url,
    parse_seconds,
)

LOGGER = logging.getLogger(__name__)

WEBSERVER_VARIABLE = "DAGSTER_WEBSERVER_URL"
DEFAULT_WEBSERVER_URL = "http://127.0.0.1:3000"
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_REASON_CHARS = 500

# ----------------------------------------------------------------------------- landing sensor


@dataclass(frozen=True)
class LandingState:
    files: int
    bytes: int
    newest_mtime_ns: int
    fingerprint: str


def landing_files(landing: Path) -> list[Path]:
    """The CSV files the ingestion assets read: ``<landing>/<source>/<Object>/*.csv``."""
    files: list[Path] = []
    for obj in OBJECTS:
        folder = landing / obj.folder
        if folder.is_dir():
            files += [path for path in folder.glob("*.csv") if path.is_file()]
    return sorted(files)


def landing_state(landing: Path) -> LandingState:
    entries = []
    for path in landing_files(landing):
        stat = path.stat()
        entries.append((path.relative_to(landing).as_posix(), stat.st_size, stat.st_mtime_ns))
    digest = hashlib.sha256(json.dumps(entries).encode()).hexdigest()
    return LandingState(
        files=len(entries),
        bytes=sum(size for _, size, _ in entries),
        newest_mtime_ns=max((mtime for _, _, mtime in entries), default=0),
        fingerprint=digest,
    )


def settle_seconds() -> float:
    return parse_seconds(SETTLE_VARIABLE, os.environ.get(SETTLE_VARIABLE), DEFAULT_SETTLE_SECONDS)


@dg.sensor(
    name="landing_sensor",
    job=nightly_materialization,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts the nightly job when CSV files under `SPM_LANDING_DIR` are new or changed "
        "(path, size, mtime), once no file changed for `SPM_LANDING_SETTLE_SECONDS` (60)."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    landing = resolve_path(env_value("SPM_LANDING_DIR"))
    state = landing_state(landing)
    if state.files == 0:
        return dg.SkipReason(f"no landing CSV files under {landing}")
    if state.fingerprint == context.cursor:
        return dg.SkipReason(f"{state.files} landing files under {landing}, none new or changed")
    age = time.time() - state.newest_mtime_ns / 1e9
    wait = settle_seconds()
    if age < wait:
        # The cursor stays put: the next tick sees the change again once the copy is done.
        return dg.SkipReason(f"a landing file changed {age:.0f} s ago; waiting {wait:.0f} s")
    context.update_cursor(state.fingerprint)
    return dg.RunRequest(
        run_key=f"landing-{state.fingerprint}",
        tags={"spm/trigger": "landing_sensor", "spm/landing_files": str(state.files)},
    )


# ------------------------------------------------------------------------- failure alert


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
        LOGGER.warning("could not POST the failure alert to %s: %s", url, error)
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
        webhook = parse_http_url(WEBHOOK_VARIABLE, os.environ.get(WEBHOOK_VARIABLE))
    except ConfigurationError as error:
        context.log.warning(f"failure alert not posted: {error}")
        return
    if webhook and post_json(webhook, summary):
        context.log.info(f"failure alert posted to {WEBHOOK_VARIABLE}")


defs = dg.Definitions(sensors=[landing_sensor, run_failure_alert])
