"""Reusable code without Dagster definitions: GX runner, SQL and markdown helpers, parsers."""
