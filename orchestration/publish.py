"""Publish: copy the warehouse's marts into a new BI file and swap it in atomically.

BI tools read only ``$SPM_BI_DATABASE``. It is replaced by ``os.replace`` of a complete file
written beside it, so a reader sees the previous marts or the new ones, never a mix, and a
reader holding the old file open keeps its snapshot and never blocks the pipeline.
"""

import os
import uuid
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.dbt_assets import spm_dbt_models
from orchestration.resources import SpmSettings

MARTS_SCHEMA = "marts"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_marts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, int]:
    con.execute(f"attach {_literal(str(warehouse))} as warehouse (read_only)")
    tables = con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = 'warehouse' and schema_name = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    if not tables:
        raise RuntimeError(
            f"{warehouse} has no tables in schema {MARTS_SCHEMA}: nothing to publish"
        )
    con.execute(f"create schema {MARTS_SCHEMA}")
    counts = {}
    for table, comment in tables:
        target = f"{MARTS_SCHEMA}.{_quote(table)}"
        con.execute(f"create table {target} as select * from warehouse.{target}")
        if comment:
            con.execute(f"comment on table {target} is {_literal(comment)}")
        for column, column_comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'warehouse' "
            "and schema_name = ? and table_name = ? and comment is not null",
            [MARTS_SCHEMA, table],
        ).fetchall():
            con.execute(
                f"comment on column {target}.{_quote(column)} is {_literal(column_comment)}"
            )
        counts[table] = con.execute(f"select count(*) from {target}").fetchone()[0]
    con.execute("detach warehouse")
    return counts


def publish_marts(warehouse: Path, bi_database: Path) -> dict[str, int]:
    """Write every table of the warehouse's marts schema to a new file and rename it into place.

    Returns the row count of each published table. On any failure the BI file is untouched.
    """
    bi_database.parent.mkdir(parents=True, exist_ok=True)
    staging = bi_database.with_name(f".{bi_database.name}.{uuid.uuid4().hex}.publishing")
    try:
        with duckdb.connect(str(staging)) as con:
            counts = _copy_marts(con, warehouse)
            con.execute("checkpoint")
        _fsync(staging)
        os.replace(staging, bi_database)
        _fsync(bi_database.parent)
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return counts


MART_KEYS = [spec.key for spec in spm_dbt_models.specs if spec.group_name == MARTS_SCHEMA]


@dg.asset(
    key="publish",
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "Copies schema `marts` of the working DuckDB into a new file and atomically renames it "
        "over `$SPM_BI_DATABASE`. Runs only after every upstream asset and blocking check passed."
    ),
)
def publish(context: dg.AssetExecutionContext, settings: SpmSettings) -> dg.MaterializeResult:
    counts = publish_marts(settings.warehouse_path, settings.bi_database_path)
    context.log.info(f"published {len(counts)} tables to {settings.bi_database_path}")
    return dg.MaterializeResult(
        metadata={
            "bi_database": dg.MetadataValue.path(str(settings.bi_database_path)),
            "tables": dg.MetadataValue.json(counts),
            "dagster/row_count": sum(counts.values()),
        }
    )


defs = dg.Definitions(assets=[publish])
