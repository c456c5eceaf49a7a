"""The dbt unit tests (every formula and the incremental logic, on fixture rows).

The nightly `dbt build` leaves them out: they test SQL, not data. They run here, against the
warehouse of the shared end-to-end run (dbt reads the input models' column types from it).
"""

import json
import subprocess
from pathlib import Path

import yaml

from orchestration.lib.dagster.pipeline import clean_environment
from orchestration.lib.dbt.project import DBT_EXECUTABLE
from tests.helpers.pipeline import REPO_ROOT


def _dbt(warehouse: Path, tmp_path: Path, *args: str, **env_vars: str):
    env = clean_environment()
    env.update(
        SPM_WAREHOUSE=str(warehouse),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        **env_vars,
    )
    return subprocess.run(
        [DBT_EXECUTABLE, *args],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_dbt_unit_test_passes(generated_run, tmp_path):
    as_of = generated_run.as_of.isoformat()
    result = _dbt(
        generated_run.warehouse,
        tmp_path,
        *("test", "--select", "test_type:unit", "--vars", f'{{"as_of_date": "{as_of}"}}'),
    )
    assert result.returncode == 0, result.stdout[-8000:]
    # run_results, not the summary line: that also counts the project's on-run-start hook.
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in results
        if r["unique_id"].startswith("unit_test.")
    }
    assert sorted(unit_tests) == sorted(_declared_unit_tests())
    assert set(unit_tests.values()) == {"pass"}


def test_dbt_connections_have_the_memory_limit(generated_run, tmp_path):
    sql = "select current_setting('memory_limit') as memory_limit"
    result = _dbt(
        generated_run.warehouse,
        tmp_path,
        *("show", "--inline", sql, "--output", "json", "--log-format", "text"),
        SPM_DUCKDB_MEMORY_LIMIT="512MB",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert '"memory_limit": "488.2 MiB"' in result.stdout, result.stdout[-3000:]


def _declared_unit_tests() -> list[str]:
    names = []
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("*.yml"):
        names += [test["name"] for test in yaml.safe_load(path.read_text()).get("unit_tests", [])]
    return names
