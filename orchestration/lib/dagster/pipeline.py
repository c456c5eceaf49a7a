"""The README's main command and the environment a pipeline run gets, named once.

``materialize_command`` is ``dagster asset materialize -m orchestration.definitions --select
'*'`` (``make run``); ``pipeline_environment`` puts every path a run writes under one folder,
with telemetry off. The end-to-end tests and the benchmark build their runs from these two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from spm_common.paths import PROJECT_ROOT
from spm_common.settings import (
    AS_OF_DATE_VARIABLE,
    BI_DATABASE_VARIABLE,
    LANDING_DIR_VARIABLE,
    LEDGER_DATABASE_VARIABLE,
    WAREHOUSE_VARIABLE,
)

# The dagster installed beside this interpreter, whether or not the venv is on PATH.
DAGSTER = str(Path(sys.executable).parent / "dagster")
CODE_LOCATION = "orchestration.definitions"
MATERIALIZE_ARGS = ("asset", "materialize", "-m", CODE_LOCATION, "--select", "*")
# What dbt, Great Expectations and Dagster would otherwise send home.
TELEMETRY_OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}


def materialize_command(*extra_args: str) -> list[str]:
    """Every asset, its checks and publish, as a user runs it (``make run``)."""
    return [DAGSTER, *MATERIALIZE_ARGS, *extra_args]


def clean_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without its ``SPM_*``, ``DAGSTER_*`` and ``DBT_*``
    variables, telemetry off: what a pipeline or dbt process starts from."""
    base = os.environ if base is None else base
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(("SPM_", "DAGSTER_", "DBT_"))
    }
    return {**env, **TELEMETRY_OFF}


def initialize_instance(home: Path) -> None:
    """Create the Dagster instance's storages in ``home`` (as `dagster instance migrate` does).
    Two runs that are the first to open a new instance at once both create its SQLite schedule
    storage and leave it with two schema heads, which no later open accepts: the Makefile and
    this helper create it before any run starts."""
    from orchestration.lib.dagster.event_storage import instance_at

    with instance_at(home):
        pass


def pipeline_environment(
    root: Path, as_of: date | str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The :func:`clean_environment` of ``base`` plus every path the pipeline writes inside
    ``root`` (``landing/``, ``warehouse/``, ``bi/``, ``dagster_home/`` with the repository's
    ``dagster.yaml``) and the as-of date."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    initialize_instance(home)
    return {
        **clean_environment(base),
        LANDING_DIR_VARIABLE: str(root / "landing"),
        WAREHOUSE_VARIABLE: str(root / "warehouse" / "spm.duckdb"),
        BI_DATABASE_VARIABLE: str(root / "bi" / "spm.duckdb"),
        LEDGER_DATABASE_VARIABLE: str(root / "ledger" / "spm_ledger.duckdb"),
        AS_OF_DATE_VARIABLE: as_of if isinstance(as_of, str) else as_of.isoformat(),
        "DAGSTER_HOME": str(home),
        # `dagster asset materialize -m` does not put its folder on sys.path: run this checkout's
        # code, not the one an editable install points at.
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def run_dagster(
    env: Mapping[str, str], *args: str, timeout: float | None = 900
) -> subprocess.CompletedProcess:
    """``dagster <args>`` from the repository root with ``env``, its output captured."""
    return subprocess.run(
        [DAGSTER, *args],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
