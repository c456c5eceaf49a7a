"""The pipeline's Dagster resources, built from the ``SPM_*`` variables of
``spm_common/settings.py``: where it reads and writes and the as-of date (:class:`SpmSettings`),
and the Spark build's settings (:class:`SparkSettings`, docs/scale_out.md).

The ``*_from_env`` builders give each variable that is set as an ``EnvVar`` (shown as such in
the UI), so a run resolves it itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib.runs.lock import WarehouseBusy, describe, hold_warehouse
from spm_common.config_values import parse_date, resolve_path
from spm_common.permissions import private_files, protect
from spm_common.schemas import MARTS_SCHEMA
from spm_common.settings import (
    AS_OF_DATE_VARIABLE,
    BI_DATABASE_VARIABLE,
    DBT_TARGET_VARIABLE,
    DEFAULTS,
    LANDING_DIR_VARIABLE,
    LEDGER_DATABASE_VARIABLE,
    SETTINGS_VARIABLES,
    SPARK_VARIABLES,
    WAREHOUSE_VARIABLE,
    duckdb_memory_limit,
    file_group,
    is_set,
    run_lock_timeout_seconds,
    spark_values,
    statements_dir,
)


class SpmSettings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and the date the marts describe."""

    landing_dir: str = DEFAULTS[LANDING_DIR_VARIABLE]
    warehouse: str = DEFAULTS[WAREHOUSE_VARIABLE]
    bi_database: str = DEFAULTS[BI_DATABASE_VARIABLE]
    ledger_database: str = DEFAULTS[LEDGER_DATABASE_VARIABLE]
    as_of_date: str = DEFAULTS[AS_OF_DATE_VARIABLE]

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[SpmSettings]:
        """Hold the warehouse for the whole run (``orchestration/lib/runs/lock.py``): every step
        that reads or writes takes this resource, and the in-process executor sets it up once
        per run, before the first step, and tears it down after the last."""
        run_id = context.run_id or "outside a run"
        log = context.log

        def waiting(found: dict) -> None:
            if log is not None:
                log.warning(f"waiting for {describe(found)} to release {self.warehouse_path}")

        group = file_group()
        try:
            # Everything the run and its subprocesses create is its owner's (and the group's).
            with (
                private_files(group),
                hold_warehouse(
                    self.warehouse_path, run_id, run_lock_timeout_seconds(), waiting=waiting
                ),
            ):
                for made_before in self.private_paths():
                    protect(made_before, group)
                yield self
        except WarehouseBusy as busy:
            raise dg.Failure(description=str(busy), allow_retries=False) from busy

    def private_paths(self) -> list[Path]:
        """What holds pay and is the pipeline's own: the warehouse (and its write-ahead log),
        the BI file, the payout ledger and the statements folder (``spm_common/permissions.py``).
        """
        files = [self.warehouse_path, self.bi_database_path, self.ledger_database_path]
        wal = [path.with_name(path.name + ".wal") for path in files]
        return [*files, *wal, statements_dir(self.bi_database_path)]

    @property
    def landing_path(self) -> Path:
        return resolve_path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return resolve_path(self.warehouse)

    @property
    def bi_database_path(self) -> Path:
        return resolve_path(self.bi_database)

    @property
    def ledger_database_path(self) -> Path:
        return resolve_path(self.ledger_database)

    def as_of(self) -> date:
        """``SPM_AS_OF_DATE`` when set, else the run's date in UTC."""
        return parse_date("as_of_date", self.as_of_date) or datetime.now(UTC).date()

    def dbt_environment(self) -> dict[str, str]:
        """What a dbt subprocess of this run reads: the warehouse (absolute) and the as-of date.

        Environment variables, not ``--vars``: dbt re-parses the whole project when its
        ``--vars`` change, and the date changes every night (``macros/as_of.sql``).
        """
        return {
            # The pipeline's own build is DuckDB's, whatever a shell set for dbt by hand.
            DBT_TARGET_VARIABLE: "duckdb",
            WAREHOUSE_VARIABLE: str(self.warehouse_path),
            AS_OF_DATE_VARIABLE: self.as_of().isoformat(),
        }

    def connect_warehouse(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        path = self.warehouse_path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(
            str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()}
        )


class SparkSettings(dg.ConfigurableResource):
    """Where and how the scale-out job builds the marts on Spark (docs/scale_out.md).

    Each field is an ``SPM_*`` variable (``SPARK_VARIABLES``) and is checked like every setting
    when the code location loads; :meth:`dbt_environment` checks the values again (run config
    may override them) and hands them to dbt's ``spark`` profile output.
    """

    raw_parquet_dir: str = SPARK_VARIABLES["raw_parquet_dir"][1]
    spark_dir: str = SPARK_VARIABLES["spark_dir"][1]
    master: str = SPARK_VARIABLES["master"][1]
    driver_memory: str = SPARK_VARIABLES["driver_memory"][1]
    target_schema: str = SPARK_VARIABLES["target_schema"][1]
    threads: str = SPARK_VARIABLES["threads"][1]
    shuffle_partitions: str = SPARK_VARIABLES["shuffle_partitions"][1]

    @property
    def raw_parquet_path(self) -> Path:
        return resolve_path(self.raw_parquet_dir)

    @property
    def spark_path(self) -> Path:
        """Spark's ``warehouse/`` (the tables' files) and Derby ``metastore_db/`` (session mode)."""
        return resolve_path(self.spark_dir)

    @property
    def marts_path(self) -> Path:
        """The folder of the marts' tables in Spark's warehouse (schema ``marts``)."""
        return self.spark_path / "warehouse" / f"{MARTS_SCHEMA}.db"

    def dbt_environment(self) -> dict[str, str]:
        """What the dbt subprocess of the Spark build reads (profiles.yml, output ``spark``)."""
        values = spark_values({field: getattr(self, field) for field in SPARK_VARIABLES})
        return {DBT_TARGET_VARIABLE: "spark", **values}


def spark_settings_from_env() -> SparkSettings:
    """An ``EnvVar`` for each Spark variable set, else its default."""
    return SparkSettings(
        **{
            field: dg.EnvVar(variable) if is_set(variable) else default
            for field, (variable, default) in SPARK_VARIABLES.items()
        }
    )


def settings_from_env() -> SpmSettings:
    """An ``EnvVar`` (shown as such in the UI) for each variable set, else its default."""
    values = {
        field: dg.EnvVar(variable) if is_set(variable) else DEFAULTS[variable]
        for field, variable in SETTINGS_VARIABLES.items()
    }
    return SpmSettings(**values)


def settings_run_config(as_of: date) -> dict:
    """Run config for the ``settings`` resource with ``as_of_date`` set.

    Run config for a resource replaces every value given to its constructor, not only the
    fields it names, so the paths are repeated here: as ``{"env": ...}`` when their variable is
    set (resolved by the run, like the ``EnvVar`` of ``settings_from_env``), else the default.
    """
    config: dict[str, object] = {
        field: {"env": variable} if is_set(variable) else DEFAULTS[variable]
        for field, variable in SETTINGS_VARIABLES.items()
        if variable != AS_OF_DATE_VARIABLE
    }
    config["as_of_date"] = as_of.isoformat()
    return {"resources": {"settings": {"config": config}}}
