"""Where the repository and its dbt project are: relative ``SPM_*`` paths resolve from here."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
