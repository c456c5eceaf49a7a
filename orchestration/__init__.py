"""Dagster definitions of the SPM pipeline: ingestion, dbt models, publish."""
