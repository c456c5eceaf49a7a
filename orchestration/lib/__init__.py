"""The code Dagster objects and command lines call, one package per concern; never imports
``orchestration.defs`` (tests/unit/test_layers.py)."""
