"""Arguments the command-line tools share."""

import argparse
from pathlib import Path

from spm_common.settings import BI_DATABASE_VARIABLE, env_path


def add_bi_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bi-database",
        type=Path,
        default=None,
        help=f"the DuckDB file Superset reads (default: ${BI_DATABASE_VARIABLE})",
    )


def bi_database_path(args: argparse.Namespace) -> Path:
    """``--bi-database``, else ``$SPM_BI_DATABASE`` (validated like every setting)."""
    return args.bi_database or env_path(BI_DATABASE_VARIABLE)
