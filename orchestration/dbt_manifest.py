"""`python -m orchestration.dbt_manifest`: (re)parse the dbt project so its manifest is current."""

from orchestration.dbt_project_config import dbt_project, prepare_manifest

if __name__ == "__main__":
    prepare_manifest()
    print(f"dbt manifest: {dbt_project.manifest_path}")
