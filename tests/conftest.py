"""Shared helpers: a pipeline environment in a temp folder and the real CLI run against it."""

import gc
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.event_storage import instance_at

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DAGSTER = str(Path(sys.executable).parent / "dagster")


def pipeline_env(root: Path, as_of: str) -> dict[str, str]:
    """Every path the pipeline writes to, inside ``root``; telemetry off."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPM_", "DAGSTER_", "DBT_"))
    }
    env.update(
        SPM_LANDING_DIR=str(root / "landing"),
        SPM_WAREHOUSE=str(root / "warehouse" / "spm.duckdb"),
        SPM_BI_DATABASE=str(root / "bi" / "spm.duckdb"),
        SPM_AS_OF_DATE=as_of,
        DAGSTER_HOME=str(home),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def materialize(env: dict[str, str], *extra_args: str) -> subprocess.CompletedProcess:
    """The README's command: every asset, checks and publish, as a user runs it."""
    return dagster_cli(
        env, "asset", "materialize", "-m", "orchestration.definitions", "--select", "*", *extra_args
    )


def dagster_cli(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """``dagster <args>`` from the repository root with ``env``, its output captured."""
    return subprocess.run(
        [DAGSTER, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@dataclass(frozen=True)
class RecordedRun:
    """What the Dagster instance recorded about its latest run."""

    run_id: str
    status: dg.DagsterRunStatus
    materialized: set[dg.AssetKey]
    # every asset check evaluation of the run (asset_check_key, passed, severity, blocking)
    check_evaluations: list[dg.AssetCheckEvaluation]


def latest_run(dagster_home: str | Path) -> RecordedRun:
    with instance_at(dagster_home) as instance:
        return _recorded(instance)


def _recorded(instance: dg.DagsterInstance) -> RecordedRun:
    run = instance.get_runs(limit=1)[0]

    def events(event_type: dg.DagsterEventType) -> list:
        records = instance.get_records_for_run(run.run_id, of_type=event_type).records
        return [r.event_log_entry.dagster_event.event_specific_data for r in records]

    materialized = {
        m.materialization.asset_key for m in events(dg.DagsterEventType.ASSET_MATERIALIZATION)
    }
    evaluations = events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return RecordedRun(run.run_id, run.status, materialized, evaluations)


def query(database: str | Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


GENERATED_AS_OF = date(2026, 11, 26)


@dataclass(frozen=True)
class PipelineRun:
    landing: Path
    warehouse: Path
    bi: Path
    as_of: date


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory) -> PipelineRun:
    """One real pipeline run on small generated demo data, shared by the end-to-end tests."""
    from ingestion.demo import generate

    root = tmp_path_factory.mktemp("generated")
    generate(root / "landing", scale=0.1, seed=7, as_of=GENERATED_AS_OF)
    env = pipeline_env(root, as_of=GENERATED_AS_OF.isoformat())
    result = materialize(env)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return PipelineRun(
        landing=root / "landing",
        warehouse=Path(env["SPM_WAREHOUSE"]),
        bi=Path(env["SPM_BI_DATABASE"]),
        as_of=GENERATED_AS_OF,
    )


@dataclass(frozen=True)
class FixtureRun:
    """One pipeline run on a hand-written landing folder of ``tests/fixtures``."""

    root: Path
    env: dict[str, str]
    landing: Path
    warehouse: Path
    bi: Path
    as_of: date


def run_fixture_folder(tmp_path_factory, name: str, as_of: date) -> FixtureRun:
    """Copy ``tests/fixtures/<name>`` (without its README) into a landing folder and run the
    README's command on it; the run must succeed."""
    root = tmp_path_factory.mktemp(name)
    shutil.copytree(FIXTURES / name, root / "landing", ignore=shutil.ignore_patterns("*.md"))
    env = pipeline_env(root, as_of=as_of.isoformat())
    result = materialize(env)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return FixtureRun(
        root=root,
        env=env,
        landing=root / "landing",
        warehouse=Path(env["SPM_WAREHOUSE"]),
        bi=Path(env["SPM_BI_DATABASE"]),
        as_of=as_of,
    )


@pytest.fixture(scope="session")
def vendor_quirks_run(tmp_path_factory) -> FixtureRun:
    """The vendor-quirks landing folder (as-of 2025-06-30), shared by its e2e tests and the
    Spark comparison."""
    return run_fixture_folder(tmp_path_factory, "vendor_quirks", date(2025, 6, 30))


@pytest.fixture(scope="session")
def commission_edge_cases_run(tmp_path_factory) -> FixtureRun:
    """The commission edge cases (as-of 2025-09-30), shared by their e2e tests and the Spark
    comparison."""
    return run_fixture_folder(tmp_path_factory, "commission_edge_cases", date(2025, 9, 30))


def pytest_sessionfinish(session, exitstatus):
    """Dispose of in-process Dagster/GX objects (sqlite via SQLAlchemy) while the interpreter is
    whole: left to shutdown, their connection pools print "closed database" tracebacks."""
    gc.collect()
