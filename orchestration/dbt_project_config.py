"""The dbt project as dagster-dbt sees it, and how its manifest gets made."""

import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.resources import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The dbt installed beside this interpreter, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest() -> None:
    """Parse the dbt project into ``target/manifest.json`` (no network: no `dbt deps`)."""
    from dbt.cli.main import dbtRunner

    target = DBT_PROJECT_DIR / dbt_project.target_path
    result = dbtRunner().invoke(
        [
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
        ]
    )
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")


def ensure_manifest() -> None:
    """Outside `dagster dev` (CLI runs, tests) the manifest must exist before assets load."""
    if dbt_project.preparer.using_dagster_dev() or not dbt_project.manifest_path.exists():
        prepare_manifest()
