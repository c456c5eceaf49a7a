"""Two runs of the pipeline against one warehouse, started within a second of each other as a
scheduler and a person would (issue 24): they never write at once.

- Both with the default wait: both succeed, one after the other (no step of one starts before
  the other's last step ended), and the BI file is the second's, whole.
- With SPM_RUN_LOCK_TIMEOUT_SECONDS=0: exactly one succeeds; the other fails before any step,
  naming the run that holds the warehouse, and materializes nothing.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
import pytest

from ingestion.demo import generate
from orchestration.defs.dbt.assets import models_in_schema
from orchestration.lib.dagster.event_storage import instance_at
from orchestration.lib.dagster.pipeline import materialize_command, pipeline_environment
from spm_common.paths import PROJECT_ROOT
from tests.helpers.pipeline import GENERATED_AS_OF, query

TIMEOUT = 900
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


@dataclass(frozen=True)
class Recorded:
    run_id: str
    status: dg.DagsterRunStatus
    output: str
    first_step: float | None  # timestamps of the run's first and last step events
    last_step: float | None
    materialized: int


def start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        materialize_command(),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def two_runs_at_once(env: dict[str, str], extra: dict[str, str]) -> list[Recorded]:
    """Two runs started 0.3 s apart; what the instance recorded of each."""
    env = {**env, **extra}
    first = start(env)
    time.sleep(0.3)
    second = start(env)
    outputs = [p.communicate(timeout=TIMEOUT)[0] for p in (first, second)]
    with instance_at(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(limit=2)
        recorded = []
        for run in runs:
            logs = instance.all_logs(run.run_id)
            # Steps run between their start and their end (planned-materialization events carry
            # a step key too, logged when the run is created).
            steps = [
                e.timestamp
                for e in logs
                if e.is_dagster_event and e.dagster_event.event_type in STEP_EVENTS
            ]
            materialized = sum(
                1
                for e in logs
                if e.is_dagster_event
                and e.dagster_event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            )
            # Dagster's log lines name their own run (a message may name the other).
            output = next(
                (o for o in outputs if f"__ASSET_JOB - {run.run_id}" in o), "\n".join(outputs)
            )
            recorded.append(
                Recorded(
                    run.run_id,
                    run.status,
                    output,
                    min(steps, default=None),
                    max(steps, default=None),
                    materialized,
                )
            )
    return recorded


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("collisions")
    generate(root / "landing", scale=0.05, seed=5, as_of=GENERATED_AS_OF)
    return pipeline_environment(root, as_of=GENERATED_AS_OF)


@pytest.fixture(scope="module")
def waited(workspace) -> list[Recorded]:
    return two_runs_at_once(workspace, {})


@pytest.fixture(scope="module")
def refused(workspace, waited) -> list[Recorded]:
    return two_runs_at_once(workspace, {"SPM_RUN_LOCK_TIMEOUT_SECONDS": "0"})


def test_the_second_run_waits_for_the_first_and_then_runs(waited, workspace):
    assert [r.status for r in waited] == [dg.DagsterRunStatus.SUCCESS] * 2, [
        r.output[-3000:] for r in waited
    ]
    earlier, later = sorted(waited, key=lambda r: r.first_step)
    assert earlier.last_step <= later.first_step, (
        f"steps overlapped: {datetime.fromtimestamp(earlier.last_step)} > "
        f"{datetime.fromtimestamp(later.first_step)}"
    )
    assert f"waiting for run {earlier.run_id}" in later.output
    bi = workspace["SPM_BI_DATABASE"]
    tables = query(bi, "select count(*) from duckdb_tables() where schema_name = 'marts'")
    assert tables == [(len(models_in_schema("marts")),)]


def test_with_no_wait_the_second_run_fails_naming_the_first_and_writes_nothing(refused, workspace):
    statuses = sorted(r.status.value for r in refused)
    assert statuses == ["FAILURE", "SUCCESS"], [r.output[-3000:] for r in refused]
    holder = next(r for r in refused if r.status == dg.DagsterRunStatus.SUCCESS)
    busy = next(r for r in refused if r.status == dg.DagsterRunStatus.FAILURE)
    assert f"in use by run {holder.run_id}" in busy.output, busy.output[-3000:]
    assert busy.first_step is None  # not one step started
    assert busy.materialized == 0
    assert "waited 0 s (SPM_RUN_LOCK_TIMEOUT_SECONDS) and wrote nothing" in busy.output
