"""The scale-out path on Apache Spark, as a data engineer runs it: the Dagster job.

``scale_out_materialization`` (``SPM_SCALE_OUT=1``) runs through the CLI on three landing
folders that the other end-to-end tests have already run through the nightly job: the demo data
(``generated_run``), the real exports' quirks (``tests/fixtures/vendor_quirks``) and the
commission edge cases (``tests/fixtures/commission_edge_cases``). Each run gets a copy of that
run's landing folder and warehouse (so nothing new is ingested and the shared runs stay as they
are), exports raw to Parquet, builds every model and data test on a local Spark (dbt-spark,
session mode, its own Derby metastore), and compares every mart with DuckDB's. A type, time zone
or NULL-ordering difference between the engines fails the comparison check of that mart. The
dbt unit tests then run on Spark too (after a build: unit tests of incremental models read the
built relation's columns).

``make test`` installs the spark extra and Java and sets ``SPM_TEST_SPARK=1``: there a missing
Spark is a failure, not a skip. A bare ``pytest`` without the extra skips this module.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from orchestration.defs.dbt.assets import models_in_schema, spm_dbt_models
from orchestration.lib.dagster.pipeline import CODE_LOCATION, pipeline_environment, run_dagster
from orchestration.lib.dbt.project import DBT_EXECUTABLE
from spm_common.settings import scale_out_prerequisites
from tests.helpers.pipeline import REPO_ROOT, RecordedRun, latest_run

JOB = "scale_out_materialization"
DATASETS = ["generated_run", "vendor_quirks_run", "commission_edge_cases_run"]
WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")


def _missing() -> list[str]:
    """What the scale-out job lacks on this machine, as the code location reports it."""
    return scale_out_prerequisites(os.environ)


def _required() -> bool:
    return os.environ.get("SPM_TEST_SPARK") == "1"


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(_missing()) and not _required(),
        reason="; ".join(_missing()),
    ),
]


def test_spark_is_installed_where_it_is_required():
    """Under ``make test`` (and so CI) the Spark path must run, never skip."""
    assert _missing() == [], "make test installs them"


@dataclass(frozen=True)
class ScaleOutRun:
    name: str
    env: dict[str, str]
    stdout: str
    recorded: RecordedRun


def launch_from_cli(env: dict[str, str]) -> str:
    result = run_dagster(env, "job", "execute", "-m", CODE_LOCATION, "-j", JOB, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-8000:]
    return result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_from_ui(env: dict[str, str]) -> str:
    """The job launched as the UI's Launch button does: a GraphQL ``launchRun`` against
    ``dagster-webserver`` serving the code location. The instance's queue needs the daemon, so
    this instance launches runs at once instead (DefaultRunCoordinator)."""
    from dagster_graphql import DagsterGraphQLClient

    home = Path(env["DAGSTER_HOME"])
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    config["run_coordinator"] = {
        "module": "dagster.core.run_coordinator",
        "class": "DefaultRunCoordinator",
    }
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (home / "webserver.log").open("w")
    server = subprocess.Popen(
        [WEBSERVER, "-m", CODE_LOCATION, "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: the code server and run worker it starts end with it.
        start_new_session=True,
    )
    try:
        # Ready when the UI's server answers; then one launch, whose errors are the test's.
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (home / "webserver.log").read_text()[-5000:]
            assert time.monotonic() < deadline, "webserver did not start"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
                break
            except OSError:
                time.sleep(2)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=300)
        run_id = client.submit_job_execution(JOB)
        deadline = time.monotonic() + 1800
        while client.get_run_status(run_id).value not in ("SUCCESS", "FAILURE", "CANCELED"):
            assert time.monotonic() < deadline, f"run {run_id} still going"
            time.sleep(5)
        assert client.get_run_status(run_id).value == "SUCCESS", run_id
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    # The run's own log lines (its compute logs) are not what the CLI prints: the stdout of
    # the dbt step is kept in the instance's compute log storage.
    logs = sorted((home / "storage").rglob("*.out")) if (home / "storage").exists() else []
    return "".join(path.read_text(errors="replace") for path in logs)


# The demo and the commission edge cases from the CLI, the vendor quirks from the UI's API.
LAUNCHERS = {
    "generated_run": launch_from_cli,
    "vendor_quirks_run": launch_from_ui,
    "commission_edge_cases_run": launch_from_cli,
}


def run_scale_out_job(root: Path, source, name: str) -> ScaleOutRun:
    """The scale-out job on a copy of ``source``'s landing folder and warehouse."""
    shutil.copytree(source.landing, root / "landing")
    env = pipeline_environment(root, as_of=source.as_of.isoformat())
    Path(env["SPM_WAREHOUSE"]).parent.mkdir(parents=True)
    shutil.copy(source.warehouse, env["SPM_WAREHOUSE"])
    env.update(
        SPM_SCALE_OUT="1",
        SPM_RAW_PARQUET_DIR=str(root / "raw_parquet"),
        SPM_SPARK_WAREHOUSE_DIR=str(root / "spark"),
    )
    launch = LAUNCHERS[name]
    output = launch(env)
    return ScaleOutRun(name, env, output, latest_run(env["DAGSTER_HOME"]))


@pytest.fixture(scope="module")
def scale_out_runs(request, tmp_path_factory):
    """``get(dataset)``: the scale-out job's run on that dataset, made once per module."""
    runs: dict[str, ScaleOutRun] = {}

    def get(dataset: str) -> ScaleOutRun:
        if dataset not in runs:
            source = request.getfixturevalue(dataset)
            root = tmp_path_factory.mktemp(f"spark_{dataset}")
            runs[dataset] = run_scale_out_job(root, source, dataset)
        return runs[dataset]

    return get


@pytest.fixture(params=DATASETS)
def scale_out_run(request, scale_out_runs) -> ScaleOutRun:
    return scale_out_runs(request.param)


def spark_key(key):
    import dagster as dg

    return dg.AssetKey(["spark", *key.path])


def test_the_job_builds_every_model_on_spark(scale_out_run):
    assert scale_out_run.recorded.status.value == "SUCCESS"
    expected = {spark_key(key) for key in spm_dbt_models.keys}
    assert expected <= scale_out_run.recorded.materialized
    raw = {key for key in scale_out_run.recorded.materialized if key.path[:2] == ["spark", "raw"]}
    from ingestion.contract import OBJECTS
    from orchestration.lib.ledger.store import TABLES

    # Every raw object and every table of the payout ledger's copy.
    assert len(raw) == len(OBJECTS) + len(TABLES)
    assert f"Registered {len(OBJECTS) + len(TABLES)} raw Parquet tables" in scale_out_run.stdout


def test_every_spark_mart_equals_duckdbs(scale_out_run):
    evaluations = [
        e for e in scale_out_run.recorded.check_evaluations if e.check_name == "equals_duckdb"
    ]
    assert {e.asset_key for e in evaluations} == {
        spark_key(key) for key in models_in_schema("marts")
    }
    failed = {
        e.asset_key.to_user_string(): e.metadata["differences"].value
        for e in evaluations
        if not e.passed
    }
    assert failed == {}


def test_data_tests_have_the_same_verdicts_on_both_engines(scale_out_run):
    """Every dbt data test ran on Spark as a check of the Spark asset, with DuckDB's verdict."""
    dbt_checks = {(tuple(spec.asset_key.path), spec.name) for spec in spm_dbt_models.check_specs}
    verdicts: dict[str, dict] = {"duckdb": {}, "spark": {}}
    for e in scale_out_run.recorded.check_evaluations:
        path = tuple(e.asset_key.path)
        engine, key = (
            ("spark", (path[1:], e.check_name))
            if path[0] == "spark"
            else (
                "duckdb",
                (path, e.check_name),
            )
        )
        if key in dbt_checks:
            verdicts[engine][key] = (e.passed, e.severity.value)
    assert set(verdicts["duckdb"]) == dbt_checks
    assert verdicts["spark"] == verdicts["duckdb"]


def test_unit_tests_pass_on_spark(scale_out_runs):
    """The dbt unit tests (every formula's edge cases) on Spark, once, after the demo's build."""
    scale_out_run = scale_out_runs("generated_run")
    env = {
        **scale_out_run.env,
        "SPM_DBT_TARGET": "spark",
        "DBT_TARGET_PATH": str(Path(scale_out_run.env["SPM_SPARK_WAREHOUSE_DIR"]) / "dbt_target"),
        "DBT_LOG_PATH": str(Path(scale_out_run.env["SPM_SPARK_WAREHOUSE_DIR"]) / "dbt_logs"),
    }
    result = subprocess.run(
        [DBT_EXECUTABLE, "test", "--select", "test_type:unit"],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-8000:]
    assert "ERROR=0" in result.stdout and "SKIP=0" in result.stdout, result.stdout[-3000:]
