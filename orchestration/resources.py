"""Resources, built in one place from environment variables.

Relative paths are relative to the repository root, so the orchestrator, dbt's profile and the
Makefile agree on where things are whatever the working directory.
"""

import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings_validation import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_VARIABLE,
    PATH_DEFAULTS,
    parse_date,
    parse_memory_limit,
    resolve_path,
)
from orchestration.settings_validation import PROJECT_ROOT as PROJECT_ROOT  # the repo root

DEFAULTS = {**PATH_DEFAULTS, "SPM_AS_OF_DATE": ""}


# DuckDB's memory limit for every connection of the pipeline (ingestion, checks, publish, dbt's
# profile): DuckDB spills to disk beyond it instead of growing to 80 % of the machine's memory.
# The accepted form is in ``settings_validation.parse_memory_limit``.


def duckdb_memory_limit() -> str:
    return parse_memory_limit(
        MEMORY_LIMIT_VARIABLE, os.environ.get(MEMORY_LIMIT_VARIABLE), DEFAULT_MEMORY_LIMIT
    )


class SpmSettings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and the date the marts describe."""

    landing_dir: str = DEFAULTS["SPM_LANDING_DIR"]
    warehouse: str = DEFAULTS["SPM_WAREHOUSE"]
    bi_database: str = DEFAULTS["SPM_BI_DATABASE"]
    as_of_date: str = DEFAULTS["SPM_AS_OF_DATE"]

    @property
    def landing_path(self) -> Path:
        return resolve_path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return resolve_path(self.warehouse)

    @property
    def bi_database_path(self) -> Path:
        return resolve_path(self.bi_database)

    def as_of(self) -> date:
        """``SPM_AS_OF_DATE`` when set, else the run's date in UTC."""
        return parse_date("as_of_date", self.as_of_date) or datetime.now(UTC).date()

    def connect_warehouse(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        path = self.warehouse_path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(
            str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()}
        )


def env_value(name: str) -> str:
    """The variable's value, or its documented default (for code outside a Dagster run)."""
    return os.environ.get(name) or DEFAULTS[name]


def _env_or_default(name: str) -> str | dg.EnvVar:
    """An ``EnvVar`` (shown as such in the UI) when set, else the documented default."""
    return dg.EnvVar(name) if os.environ.get(name) else DEFAULTS[name]


def settings_from_env() -> SpmSettings:
    return SpmSettings(
        landing_dir=_env_or_default("SPM_LANDING_DIR"),
        warehouse=_env_or_default("SPM_WAREHOUSE"),
        bi_database=_env_or_default("SPM_BI_DATABASE"),
        as_of_date=_env_or_default("SPM_AS_OF_DATE"),
    )
