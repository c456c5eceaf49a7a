"""The scale-out path's data work: raw as Parquet for a distributed engine, and its marts checked.

On one machine dbt reads ``raw`` from the working DuckDB. On Spark (dbt target ``spark``,
docs/scale_out.md) the raw layer is Parquet: one dataset (a folder of Parquet files) per raw
table, in production on object storage. ``export-raw`` writes it from the working DuckDB after
the load; dbt's ``on-run-start`` registers each folder as ``raw.<table>`` in Spark.
``compare-marts`` checks that the marts Spark built equal the DuckDB build's. The Dagster
scale-out job (``orchestration/defs/scale_out``) and the command line
(``orchestration/cli/scale_out.py``) both call these functions.

DuckDB does the data work (``COPY ... TO ... (FORMAT parquet)``, ``read_parquet``).
"""

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from spm_common.schemas import MARTS_SCHEMA, RAW_SCHEMA
from spm_common.sql import quote_ident

FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


@dataclass(frozen=True)
class ExportedTable:
    table: str
    path: Path
    rows: int


def raw_tables(con: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA) -> list[str]:
    """The base tables of ``schema``, sorted."""
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]
    ).fetchall()
    return [table for (table,) in rows]


def export_raw(warehouse: Path, out: Path, schema: str = RAW_SCHEMA) -> list[ExportedTable]:
    """Write every table of ``schema`` as the Parquet dataset ``out/<table>/`` (replacing it).

    Each dataset is written beside its final place and swapped in when complete, so a reader
    never sees half a table. Types map onto Parquet's: VARCHAR -> string, BOOLEAN -> boolean,
    DATE -> date, TIMESTAMP -> timestamp (microseconds, not adjusted to UTC: the values are
    UTC already), DECIMAL(18,2) -> decimal(18,2), INTEGER/BIGINT/DOUBLE as they are.
    """
    out.mkdir(parents=True, exist_ok=True)
    exported = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = raw_tables(con, schema)
        if not tables:
            raise ValueError(f"{warehouse}: schema {schema!r} has no tables to export")
        for table in tables:
            final = out / table
            staging = out / f".{table}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            relation = f"{quote_ident(schema)}.{quote_ident(table)}"
            target = str(staging / "part-0.parquet").replace("'", "''")
            con.execute(f"copy {relation} to '{target}' (format parquet, compression zstd)")
            rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
            shutil.rmtree(final, ignore_errors=True)
            staging.rename(final)
            exported.append(ExportedTable(table, final, rows))
    return exported


@dataclass
class MartDifference:
    """How one mart of the distributed build differs from the DuckDB build's."""

    mart: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.problems


def _order_columns(columns: list[tuple[str, str]]) -> str:
    """Exact-typed columns first, so tiny float differences never change the row order."""
    exact = [quote_ident(name) for name, kind in columns if kind not in FLOAT_TYPES]
    floats = [quote_ident(name) for name, kind in columns if kind in FLOAT_TYPES]
    return ", ".join(exact + floats)


def _values_equal(left: object, right: object, is_float: bool, rel_tol: float) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if is_float:
        return math.isclose(float(left), float(right), rel_tol=rel_tol, abs_tol=rel_tol)
    return left == right


def compare_mart(
    con: duckdb.DuckDBPyConnection, mart: str, dataset: Path, rel_tol: float = 1e-9
) -> MartDifference:
    """Compare ``marts.<mart>`` of the attached DuckDB with the Parquet dataset ``dataset``.

    Same columns, same row count, and row by row (both sorted the same way) the same values;
    doubles within ``rel_tol`` relative. Values are compared as DuckDB reads them, after casting
    the dataset's columns to the DuckDB mart's types (Spark's ``int``/``string`` Parquet types
    read back as DuckDB's INTEGER/VARCHAR without loss; Spark's ``timestamp`` is an instant,
    read as TIMESTAMPTZ and compared in UTC, the zone of the naive DuckDB timestamps).
    """
    difference = MartDifference(mart)
    expected = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [MARTS_SCHEMA, mart],
    ).fetchall()
    files = str(dataset / "*.parquet").replace("'", "''")
    actual = con.execute(f"describe select * from read_parquet('{files}')").fetchall()
    expected_names = [name for name, _ in expected]
    actual_names = [row[0] for row in actual]
    if expected_names != actual_names:
        difference.problems.append(f"columns {actual_names} != {expected_names}")
        return difference
    order = _order_columns(expected)
    casts = ", ".join(
        f"cast({quote_ident(name)} as {kind}) as {quote_ident(name)}" for name, kind in expected
    )
    left = con.execute(
        f"select * from {MARTS_SCHEMA}.{quote_ident(mart)} order by {order}"
    ).fetchall()
    right = con.execute(
        f"select * from (select {casts} from read_parquet('{files}')) order by {order}"
    ).fetchall()
    if len(left) != len(right):
        difference.problems.append(f"{len(right)} rows, expected {len(left)}")
        return difference
    is_float = [kind in FLOAT_TYPES for _, kind in expected]
    for number, (want, got) in enumerate(zip(left, right, strict=True), start=1):
        for name, flt, a, b in zip(expected_names, is_float, want, got, strict=True):
            if not _values_equal(a, b, flt, rel_tol):
                difference.problems.append(f"row {number}, {name}: {b!r} != {a!r}")
                if len(difference.problems) >= 10:
                    return difference
    return difference


def compare_each(
    warehouse: Path, spark_marts: Path, rel_tol: float = 1e-9
) -> dict[str, MartDifference]:
    """Compare every mart of the DuckDB ``warehouse`` with ``spark_marts/<mart>/``: one result
    per DuckDB mart (its row count, and what differs; a missing dataset is a difference)."""
    results: dict[str, MartDifference] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        marts = raw_tables(con, MARTS_SCHEMA)
        if not marts:
            raise ValueError(f"{warehouse}: schema {MARTS_SCHEMA!r} has no tables")
        for mart in marts:
            dataset = spark_marts / mart
            rows = con.execute(
                f"select count(*) from {MARTS_SCHEMA}.{quote_ident(mart)}"
            ).fetchone()[0]
            if not any(dataset.glob("*.parquet")):
                results[mart] = MartDifference(mart, rows, [f"no Parquet files in {dataset}"])
                continue
            difference = compare_mart(con, mart, dataset, rel_tol)
            difference.rows = rows
            results[mart] = difference
    return results


def compare_marts(warehouse: Path, spark_marts: Path, rel_tol: float = 1e-9) -> dict[str, int]:
    """Compare every mart of the DuckDB ``warehouse`` with ``spark_marts/<mart>/``.

    Returns the row count per mart; raises ``AssertionError`` naming every difference.
    """
    results = compare_each(warehouse, spark_marts, rel_tol)
    problems = [
        f"{mart}: {problem}" for mart, result in results.items() for problem in result.problems
    ]
    if problems:
        raise AssertionError("marts differ:\n" + "\n".join(problems))
    return {mart: result.rows for mart, result in results.items()}
