"""`python -m orchestration.cli.dbt_manifest`: parse the dbt project now, stale or not.

Not needed before a run: loading the code location re-parses a stale manifest itself
(``orchestration/lib/dbt/project.py``). ``make manifest`` runs this.
"""

from dagster_dbt import DbtProject

from orchestration.lib.dbt.project import DBT_PROJECT_DIR, prepare_manifest

if __name__ == "__main__":
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    prepare_manifest(project)
    print(f"dbt manifest: {project.manifest_path}")
