"""The warehouse's schemas, named once: raw tables (ingestion), the rejects and provenance
(audit), dbt's layers, and ``marts``, the only schema published to the BI file."""

RAW_SCHEMA = "raw"
AUDIT_SCHEMA = "audit"
STAGING_SCHEMA = "staging"
INTERMEDIATE_SCHEMA = "intermediate"
MARTS_SCHEMA = "marts"
DBT_SCHEMAS = (STAGING_SCHEMA, INTERMEDIATE_SCHEMA, MARTS_SCHEMA)
