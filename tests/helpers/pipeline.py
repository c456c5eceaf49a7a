"""A pipeline run in a temporary folder, the way a user runs it, and what it recorded.

The command and the environment are the product's own (``orchestration/lib/dagster/pipeline.py``);
this module adds what the tests share: the landing folders of ``tests/fixtures``, the runs the
session fixtures of ``tests/conftest.py`` make, and queries of their databases.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib.dagster.event_storage import instance_at
from orchestration.lib.dagster.pipeline import (
    MATERIALIZE_ARGS,
    pipeline_environment,
    run_dagster,
)
from spm_common.paths import PROJECT_ROOT

REPO_ROOT = PROJECT_ROOT
FIXTURES = REPO_ROOT / "tests" / "fixtures"
GENERATED_AS_OF = date(2026, 11, 26)


def materialize(env: dict[str, str], *extra_args: str) -> subprocess.CompletedProcess:
    """The README's command: every asset, checks and publish, as a user runs it."""
    return run_dagster(env, *MATERIALIZE_ARGS, *extra_args)


def assert_succeeded(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


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


@dataclass(frozen=True)
class PipelineRun:
    landing: Path
    warehouse: Path
    bi: Path
    as_of: date


@dataclass(frozen=True)
class FixtureRun:
    """One pipeline run on a hand-written landing folder of ``tests/fixtures``."""

    root: Path
    env: dict[str, str]
    landing: Path
    warehouse: Path
    bi: Path
    as_of: date


def run_generated(root: Path, scale: float, seed: int, as_of: date) -> PipelineRun:
    """Demo data into ``root/landing`` and the README's command on it; the run must succeed."""
    from ingestion.demo import generate

    generate(root / "landing", scale=scale, seed=seed, as_of=as_of)
    env = pipeline_environment(root, as_of)
    assert_succeeded(materialize(env))
    return PipelineRun(
        landing=root / "landing",
        warehouse=Path(env["SPM_WAREHOUSE"]),
        bi=Path(env["SPM_BI_DATABASE"]),
        as_of=as_of,
    )


def run_fixture_folder(root: Path, name: str, as_of: date) -> FixtureRun:
    """Copy ``tests/fixtures/<name>`` (without its README) into ``root/landing`` and run the
    README's command on it; the run must succeed."""
    shutil.copytree(FIXTURES / name, root / "landing", ignore=shutil.ignore_patterns("*.md"))
    env = pipeline_environment(root, as_of)
    assert_succeeded(materialize(env))
    return FixtureRun(
        root=root,
        env=env,
        landing=root / "landing",
        warehouse=Path(env["SPM_WAREHOUSE"]),
        bi=Path(env["SPM_BI_DATABASE"]),
        as_of=as_of,
    )
