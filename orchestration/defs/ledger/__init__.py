"""The payout ledger's Dagster objects."""
