"""The dbt project as dagster-dbt sees it, with a manifest that is never stale.

``spm_dbt_project()`` is dagster-dbt's ``DbtProject`` with ``prepare_if_dev()`` made to work
everywhere: when the code location loads (``dagster asset materialize``, ``dagster dev``, tests)
the project is re-parsed if any file ``dbt parse`` reads changed, appeared or disappeared since
the last parse (``orchestration/lib/dbt/parse.py``). A new mart's ``.sql`` and ``.yml`` are an
asset at the next load, with no manual step; a fresh manifest costs a few milliseconds.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.lib.dbt.parse import fingerprint, manifest_is_stale, record_fingerprint
from spm_common.paths import DBT_PROJECT_DIR

# The dbt installed beside this interpreter, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
LOCK_FILE = ".spm_parse.lock"


def prepare_manifest(project: DbtProject) -> None:
    """Parse the dbt project into its ``manifest.json`` (no network: no `dbt deps`)."""
    from dbt.cli.main import dbtRunner

    target = project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    parsed_from = fingerprint(project.project_dir)
    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            # The assets' manifest is the DuckDB build's, whatever SPM_DBT_TARGET a shell set.
            "--target",
            "duckdb",
            "--target-path",
            str(target),
            "--log-path",
            str(target),
        ]
    )
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    record_fingerprint(project.manifest_path, parsed_from)


def prepare_if_stale(project: DbtProject) -> bool:
    """Parse when the manifest is stale; True when it parsed.

    Processes loading the code location at once (a run and the UI) take turns on a lock file,
    and one that waited finds the manifest fresh.
    """
    if not manifest_is_stale(project.project_dir, project.manifest_path):
        return False
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(project.manifest_path.with_name(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not manifest_is_stale(project.project_dir, project.manifest_path):
            return False
        prepare_manifest(project)
        return True
    finally:
        os.close(fd)


def dbt_project() -> DbtProject:
    """dagster-dbt's view of ``dbt_project/`` (its profiles beside it), manifest as it is."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@functools.cache
def spm_dbt_project() -> DbtProject:
    """The project, its manifest prepared when stale (once per process)."""
    project = dbt_project()
    prepare_if_stale(project)
    return project
