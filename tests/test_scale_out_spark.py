"""Opt-in: the dbt project builds on Spark (dbt-spark, session mode) with DuckDB's results.

Generated demo data is loaded into a DuckDB raw schema; dbt builds the marts there; raw is
exported as Parquet; `dbt build --target spark` (a real subprocess, a local Spark with its
own warehouse and Derby metastore in a temp folder) builds every model and runs every data
test, then `dbt test` runs every unit test (after the build, as the pipeline does: unit tests
of incremental models read the built relation's columns); then all marts must equal DuckDB's
(doubles to 1e-9 relative).

Runs only with SPM_TEST_SPARK=1 and the spark extra installed (`make test-spark`): it needs
Java 17+, starts a JVM and takes 5-7 minutes on 2 cores.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.scale_out import compare_marts, export_raw
from orchestration.defs.dbt.assets import models_in_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
AS_OF = "2026-11-26"


def _skip_reason() -> str | None:
    if os.environ.get("SPM_TEST_SPARK") != "1":
        return "Spark scale-out test is opt-in: set SPM_TEST_SPARK=1 (make test-spark)"
    missing = [m for m in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(m) is None]
    if missing:
        return f"{', '.join(missing)} not installed: make install-spark"
    return None


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


def dbt_build(root: Path, target: str, extra_env: dict[str, str]) -> str:
    """`dbt build` without unit tests, then the unit tests; both must pass. Returns the logs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPM_", "DAGSTER_", "DBT_"))
    }
    env.update(
        SPM_DBT_TARGET=target,
        SPM_WAREHOUSE=str(root / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(root / f"target-{target}"),
        DBT_LOG_PATH=str(root / f"logs-{target}"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        **extra_env,
    )
    logs = ""
    for command in (
        ["build", "--exclude-resource-type", "unit_test"],
        ["test", "--select", "test_type:unit"],
    ):
        result = subprocess.run(
            [DBT, *command, "--vars", f"{{as_of_date: '{AS_OF}'}}"],
            cwd=REPO_ROOT / "dbt_project",
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        assert result.returncode == 0, f"dbt {command[0]} on {target}:\n" + result.stdout[-8000:]
        assert "ERROR=0" in result.stdout and "SKIP=0" in result.stdout, result.stdout[-3000:]
        logs += result.stdout
    return logs


def test_spark_build_equals_duckdb_build(tmp_path):
    from datetime import date

    from ingestion.contract import OBJECTS
    from ingestion.demo import generate
    from ingestion.loader import load_object

    generate(tmp_path / "landing", scale=0.05, seed=11, as_of=date.fromisoformat(AS_OF))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for source_object in OBJECTS:
            load_object(con, tmp_path / "landing", source_object)

    dbt_build(tmp_path, "duckdb", {})

    exported = export_raw(tmp_path / "warehouse.duckdb", tmp_path / "raw_parquet")
    assert len(exported) == len(OBJECTS)

    spark_logs = dbt_build(
        tmp_path,
        "spark",
        {
            "SPM_RAW_PARQUET_DIR": str(tmp_path / "raw_parquet"),
            "SPM_SPARK_WAREHOUSE_DIR": str(tmp_path / "spark"),
        },
    )
    assert f"Registered {len(OBJECTS)} raw Parquet tables" in spark_logs

    counts = compare_marts(
        tmp_path / "warehouse.duckdb", tmp_path / "spark" / "warehouse" / "marts.db"
    )
    assert len(counts) == len(models_in_schema("marts"))
    assert all(rows > 0 for rows in counts.values()), counts
