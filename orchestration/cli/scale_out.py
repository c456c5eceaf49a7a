"""The scale-out path by hand (docs/scale_out.md); the Dagster job ``scale_out_materialization``
does the same steps with the settings of ``SPM_*`` variables.

    python -m orchestration.cli.scale_out export-raw --warehouse W.duckdb --out DIR
    python -m orchestration.cli.scale_out compare-marts --warehouse W.duckdb --spark-marts DIR

``export-raw`` writes every raw table of the working DuckDB as a Parquet dataset (what dbt's
``spark`` target reads); ``compare-marts`` checks that the marts Spark built equal DuckDB's.
"""

import argparse
import sys
from collections.abc import Sequence

from orchestration.lib.scale_out.compare import compare_marts, export_raw
from spm_common.config_values import resolve_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.cli.scale_out", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export-raw", help="write raw.* as one Parquet dataset per table")
    export.add_argument("--warehouse", required=True, help="the working DuckDB file")
    export.add_argument("--out", required=True, help="folder of the Parquet datasets")
    compare = commands.add_parser("compare-marts", help="compare Spark's marts with DuckDB's")
    compare.add_argument("--warehouse", required=True, help="DuckDB file with schema marts")
    compare.add_argument(
        "--spark-marts", required=True, help="folder of Spark's marts tables (marts.db)"
    )
    compare.add_argument("--rel-tol", type=float, default=1e-9)
    args = parser.parse_args(argv)

    if args.command == "export-raw":
        exported = export_raw(resolve_path(args.warehouse), resolve_path(args.out))
        width = max(len(table.table) for table in exported)
        for table in exported:
            print(f"  {table.table:<{width}}  {table.rows:>10,} rows  {table.path}")
        return 0
    try:
        counts = compare_marts(
            resolve_path(args.warehouse), resolve_path(args.spark_marts), args.rel_tol
        )
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    for mart, rows in counts.items():
        print(f"  {mart:<32} {rows:>10,} rows  equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
