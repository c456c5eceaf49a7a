"""The warehouse's schemas, named once: raw tables (ingestion), the rejects and provenance
(audit), the copy of the payout ledger (ledger), dbt's layers, and ``marts``, the only schema
published to the BI file."""

RAW_SCHEMA = "raw"
AUDIT_SCHEMA = "audit"
STAGING_SCHEMA = "staging"
INTERMEDIATE_SCHEMA = "intermediate"
MARTS_SCHEMA = "marts"
# The warehouse's copy of the payout ledger (SPM_LEDGER_DATABASE), made at the start of each run.
LEDGER_SCHEMA = "ledger"
DBT_SCHEMAS = (STAGING_SCHEMA, INTERMEDIATE_SCHEMA, MARTS_SCHEMA)
