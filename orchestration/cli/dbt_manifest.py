"""`python -m orchestration.cli.dbt_manifest`: parse the dbt project now, stale or not.

Not needed before a run: loading the code location re-parses a stale manifest itself
(``orchestration/lib/dbt/project.py``). ``make manifest`` runs this.
"""

from orchestration.lib.dbt.project import dbt_project, prepare_manifest

if __name__ == "__main__":
    project = dbt_project()
    prepare_manifest(project)
    print(f"dbt manifest: {project.manifest_path}")
