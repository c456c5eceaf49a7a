"""The common base every layer may import: paths, schema names, SQL quoting, the ``SPM_*``
variables and their parsers, file fingerprints. It imports neither Dagster nor DuckDB at import
time (``tests/unit/test_layers.py``), so the demo generator and the loader stay light."""
