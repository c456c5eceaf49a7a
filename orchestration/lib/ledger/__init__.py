"""The payout ledger: locked commission statements and lines, kept outside the rebuildable
warehouse in a DuckDB file of their own, append-only and hash-chained."""
