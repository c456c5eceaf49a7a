"""The Great Expectations gate on the raw sources (suites: ingestion/expectations.py)."""
