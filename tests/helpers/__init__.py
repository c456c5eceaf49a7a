"""Helpers the tests share: pipeline runs (built on orchestration/lib/dagster/pipeline.py, which
the benchmark reuses too), landing-file frames, statement pages."""
