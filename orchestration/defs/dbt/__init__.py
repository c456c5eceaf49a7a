"""The dbt project: its DbtProject, the translator and the dbt assets (tests as checks)."""
