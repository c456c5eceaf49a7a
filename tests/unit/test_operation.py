"""Operation: the nightly job's retries, the schedule, the landing sensor and failure alerts.

Fast: nothing here runs the pipeline. Retry behaviour is shown on a tiny in-process job under
an instance configured by the repository's ``dagster.yaml``.
"""

import json
import os
import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.events import RunFailureReason
from dagster._core.execution.retries import auto_reexecution_should_retry_run
from dagster._core.storage.tags import RUN_FAILURE_REASON_TAG, WILL_RETRY_TAG

from ingestion.contract import OBJECTS
from orchestration import definitions
from orchestration.defs.automation import jobs, schedules, sensors
from orchestration.defs.automation.alerts import run_failure_alert
from orchestration.defs.resources import SpmSettings, settings_from_env, settings_run_config
from orchestration.lib.dagster import alerts
from spm_common import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TICK = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def merged_defs() -> dg.Definitions:
    dg.Definitions.validate_loadable(definitions.defs)
    return definitions.defs


@pytest.fixture
def instance():
    """An instance configured like the local one (retries, queue, monitoring) from dagster.yaml."""
    overrides = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    with dg.instance_for_test(overrides=overrides) as instance:
        yield instance


@pytest.fixture
def webhook():
    """A local HTTP server on a random port that records the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/alert", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------------- job


def test_definitions_with_operation_load(merged_defs):
    graph = merged_defs.resolve_asset_graph()
    job = merged_defs.resolve_job_def(jobs.NIGHTLY_JOB_NAME)
    assert job.asset_layer.selected_asset_keys == graph.materializable_asset_keys
    assert job.asset_layer.asset_graph.asset_check_keys == graph.asset_check_keys
    assert merged_defs.resolve_schedule_def("nightly_schedule").job_name == jobs.NIGHTLY_JOB_NAME
    assert merged_defs.resolve_sensor_def("landing_sensor").job_name == jobs.NIGHTLY_JOB_NAME
    merged_defs.resolve_sensor_def("run_failure_alert")


def test_nightly_job_carries_the_retry_tags(merged_defs):
    tags = merged_defs.resolve_job_def(jobs.NIGHTLY_JOB_NAME).tags
    assert tags["dagster/max_retries"] == "2"
    assert tags["dagster/retry_on_asset_or_op_failure"] == "false"


def test_instance_enables_run_retries_but_not_for_failed_steps(instance):
    assert instance.run_retries_enabled
    assert instance.run_retries_max_retries == 2
    assert not instance.run_retries_retry_on_asset_or_op_failure


def _tiny_job(check_passes: bool, asset_raises: bool = False) -> dg.JobDefinition:
    @dg.asset
    def landed() -> int:
        if asset_raises:
            raise OSError("landing share unavailable")
        return 1

    @dg.asset_check(asset=landed, blocking=True, description="rejects within threshold")
    def rejects_within_threshold() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=check_passes, metadata={"rows_rejected": 42})

    @dg.asset(deps=[landed])
    def published() -> None:
        pass

    job = dg.define_asset_job("nightly_materialization", tags=jobs.RETRY_TAGS)
    defs = dg.Definitions(assets=[landed, published], asset_checks=[rejects_within_threshold])
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(job.name)


def _run_failure_context(instance, result) -> dg.RunFailureSensorContext:
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()


def test_run_failed_by_a_blocking_check_is_not_retried(instance, monkeypatch, webhook):
    result = _tiny_job(check_passes=False).execute_in_process(
        instance=instance, raise_on_error=False
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    assert run.tags[RUN_FAILURE_REASON_TAG] == RunFailureReason.STEP_FAILURE.value
    assert run.tags[WILL_RETRY_TAG] == "false"

    # The failure sensor reads the failed check from the instance and posts it.
    url, received = webhook
    monkeypatch.setenv(settings.WEBHOOK_VARIABLE, url)
    monkeypatch.setenv(alerts.WEBSERVER_VARIABLE, "http://dagster.example:3000/")
    run_failure_alert(_run_failure_context(instance, result))
    assert len(received) == 1
    alert = received[0]
    assert alert["run_id"] == result.run_id
    assert alert["url"] == f"http://dagster.example:3000/runs/{result.run_id}"
    assert alert["failed_checks"] == [
        {
            "asset": "landed",
            "check": "rejects_within_threshold",
            "severity": "ERROR",
            "reason": "rows_rejected=42",
        }
    ]
    assert "rejects_within_threshold" in alert["text"]


def test_run_failed_by_a_step_exception_is_not_retried_by_the_run(instance, monkeypatch):
    monkeypatch.delenv(settings.WEBHOOK_VARIABLE, raising=False)
    result = _tiny_job(check_passes=True, asset_raises=True).execute_in_process(
        instance=instance, raise_on_error=False
    )
    run = instance.get_run_by_id(result.run_id)
    assert run.tags[WILL_RETRY_TAG] == "false"
    steps = alerts.failed_steps_of_run(_run_failure_context(instance, result))
    assert [step.step for step in steps] == ["landed"]
    assert "landing share unavailable" in steps[0].reason


def test_run_crash_is_retried(instance):
    result = _tiny_job(check_passes=True).execute_in_process(instance=instance)
    run = result.dagster_run
    crashed = run.with_status(dg.DagsterRunStatus.FAILURE)
    for reason in (RunFailureReason.UNEXPECTED_TERMINATION, RunFailureReason.RUN_WORKER_RESTART):
        assert auto_reexecution_should_retry_run(instance, crashed, reason)
    assert not auto_reexecution_should_retry_run(instance, crashed, RunFailureReason.STEP_FAILURE)


# ---------------------------------------------------------------------------- schedule


def test_schedule_passes_the_tick_date_as_as_of_date(monkeypatch, merged_defs):
    monkeypatch.setenv("SPM_WAREHOUSE", "/tmp/elsewhere/spm.duckdb")
    monkeypatch.delenv("SPM_LANDING_DIR", raising=False)
    monkeypatch.setenv("SPM_LANDING_SETTLE_SECONDS", "0")  # whatever data/landing holds
    schedule = schedules.build_nightly_schedule()
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    with dg.build_schedule_context(scheduled_execution_time=TICK) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    config = request.run_config["resources"]["settings"]["config"]
    assert config["as_of_date"] == "2026-11-26"
    # Run config replaces the resource's constructor values: the paths must come along.
    assert config["warehouse"] == {"env": "SPM_WAREHOUSE"}
    assert config["landing_dir"] == "data/landing"
    assert request.tags["spm/as_of_date"] == "2026-11-26"
    # The run config is valid for the job the schedule targets.
    job = merged_defs.resolve_job_def(jobs.NIGHTLY_JOB_NAME)
    assert process_config(job.run_config_schema.config_type, request.run_config).success


def test_schedule_skips_a_tick_while_a_landing_file_is_being_written(monkeypatch, tmp_path):
    monkeypatch.setenv("SPM_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("SPM_LANDING_SETTLE_SECONDS", "60")
    folder = tmp_path / "salesforce" / "Opportunity"
    folder.mkdir(parents=True)
    export = folder / "Opportunity_20261126T020000Z.csv"
    export.write_text("Id\n")
    schedule = schedules.build_nightly_schedule()
    with dg.build_schedule_context(scheduled_execution_time=TICK) as context:
        tick = schedule.evaluate_tick(context)
    assert tick.run_requests == []
    assert "salesforce/Opportunity/Opportunity_20261126T020000Z.csv changed" in tick.skip_message
    assert "SPM_LANDING_SETTLE_SECONDS (60 s)" in tick.skip_message
    settled = time.time() - 61
    os.utime(export, (settled, settled))
    with dg.build_schedule_context(scheduled_execution_time=TICK) as context:
        assert len(schedule.evaluate_tick(context).run_requests) == 1


def test_schedule_run_config_reaches_the_settings_resource(monkeypatch, tmp_path):
    monkeypatch.setenv("SPM_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("SPM_AS_OF_DATE", "2020-01-01")

    @dg.asset
    def seen(settings: SpmSettings) -> tuple[str, str]:
        return settings.as_of().isoformat(), str(settings.landing_path)

    job = dg.define_asset_job("probe")
    defs = dg.Definitions(assets=[seen], jobs=[job], resources={"settings": settings_from_env()})
    result = defs.resolve_job_def("probe").execute_in_process(
        run_config=settings_run_config(date(2026, 11, 26))
    )
    assert result.output_for_node("seen") == ("2026-11-26", str(tmp_path))


def test_schedule_cron_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(settings.CRON_VARIABLE, "30 4 * * 1-5")
    schedule = schedules.build_nightly_schedule()
    assert schedule.cron_schedule == "30 4 * * 1-5"
    monkeypatch.setenv(settings.CRON_VARIABLE, "every night")
    with pytest.raises(ValueError, match="SPM_NIGHTLY_CRON"):
        schedules.build_nightly_schedule()


# ------------------------------------------------------------------------ landing sensor


def _evaluate(cursor: str | None) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    with dg.build_sensor_context(cursor=cursor) as context:
        result = sensors.landing_sensor(context)
        return result, context.cursor


def test_landing_sensor_runs_on_new_and_changed_files(monkeypatch, tmp_path):
    monkeypatch.setenv("SPM_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv(settings.SETTLE_VARIABLE, "0")
    folder = tmp_path / OBJECTS[0].folder
    folder.mkdir(parents=True)
    (tmp_path / "notes.csv").write_text("not an object folder\n")

    result, cursor = _evaluate(None)
    assert isinstance(result, dg.SkipReason)
    assert cursor is None

    export = folder / "export_2026-11-26.csv"
    export.write_text("Id\n1\n")
    result, cursor = _evaluate(None)
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == f"landing-{cursor}"
    assert result.job_name in (None, jobs.NIGHTLY_JOB_NAME)

    same, same_cursor = _evaluate(cursor)
    assert isinstance(same, dg.SkipReason)
    assert same_cursor == cursor

    export.write_text("Id\n1\n2\n")
    changed, changed_cursor = _evaluate(cursor)
    assert isinstance(changed, dg.RunRequest)
    assert changed_cursor != cursor
    assert changed.run_key != result.run_key


def test_landing_sensor_waits_for_files_to_settle(monkeypatch, tmp_path):
    monkeypatch.setenv("SPM_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv(settings.SETTLE_VARIABLE, "3600")
    folder = tmp_path / OBJECTS[0].folder
    folder.mkdir(parents=True)
    export = folder / "export.csv"
    export.write_text("Id\n1\n")
    result, cursor = _evaluate(None)
    assert isinstance(result, dg.SkipReason)
    assert cursor is None
    hour_ago = export.stat().st_mtime - 3700
    os.utime(export, (hour_ago, hour_ago))
    result, cursor = _evaluate(None)
    assert isinstance(result, dg.RunRequest)


# ------------------------------------------------------------------------- failure alert


def test_failure_summary_names_what_failed_why_and_where():
    summary = alerts.failure_summary(
        job="nightly_materialization",
        run_id="abc123",
        run_message="Execution of run failed.",
        failed_steps=[alerts.FailedStep("spm_dbt_models", "DagsterDbtCliRuntimeError: 1 test")],
        failed_checks=[
            alerts.FailedCheck("marts/dim_reps", "great_expectations", "WARN", "1 warning"),
            alerts.FailedCheck("raw/hris/workers", "rejects_within_threshold", "ERROR", "x" * 900),
        ],
        base_url="http://localhost:3000/",
    )
    assert summary["url"] == "http://localhost:3000/runs/abc123"
    assert [c["check"] for c in summary["failed_checks"]] == [
        "rejects_within_threshold",
        "great_expectations",
    ]
    lines = summary["text"].splitlines()
    assert lines[0] == "Dagster run failed: job nightly_materialization, run abc123"
    assert lines[1] == summary["url"]
    assert lines[2].startswith("- check raw/hris/workers: rejects_within_threshold [ERROR]: xxx")
    assert len(lines[2]) < 600
    assert lines[-1] == "- step spm_dbt_models: DagsterDbtCliRuntimeError: 1 test"
    json.dumps(summary)

    crash = alerts.failure_summary("j", "r", "run worker exited", [], [], base_url="http://h")
    assert crash["text"].splitlines()[-1] == "- run: run worker exited"


def test_webhook_post_delivers_json_and_never_raises(webhook):
    url, received = webhook
    assert alerts.post_json(url, {"text": "hello"}, timeout=5)
    assert received == [{"text": "hello"}]
    # Nothing listens on the server's port once it is closed; a bad URL is not an error either.
    with HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_port
    assert not alerts.post_json(f"http://127.0.0.1:{port}/", {"text": "x"}, timeout=2)
    assert not alerts.post_json("not a url", {"text": "x"}, timeout=2)
