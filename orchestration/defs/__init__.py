"""Dagster definitions, one folder per question; each folder's ``definitions.py`` has ``defs``."""
