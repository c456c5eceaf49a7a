"""`python -m orchestration.cli.statements [--out DIR]`: a commission statement per employee and
quarter, as HTML, from the published BI file (``make statements``): its payout build-up, tiers,
booking, clawback and SPIFF lines (by program, each deal named) and its draw.

Reads only ``$SPM_BI_DATABASE`` (read-only) and writes ``<out>/<quarter_start>/<employee_id>.html``,
``<out>/index.html`` and ``<out>/manifest.json``; ``--out`` defaults to ``$SPM_STATEMENTS_DIR``.
``--per-rep DIR`` also writes one owner-only ``<employee_id>.zip`` per employee into DIR, to
mail or upload to that person alone (``orchestration/lib/statements/deliver.py``).
"""

import argparse
import sys
from pathlib import Path

from orchestration.lib.statements.deliver import per_rep_archives
from orchestration.lib.statements.render import StatementsError, money, render_statements
from spm_common.config_values import ConfigurationError, resolve_path
from spm_common.settings import (
    BI_DATABASE_VARIABLE,
    STATEMENTS_DIR_VARIABLE,
    check_environment,
    duckdb_memory_limit,
    env_path,
    statements_dir,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.cli.statements", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"output folder, replaced whole (default: ${STATEMENTS_DIR_VARIABLE}, else "
        f"statements/ beside the folder of ${BI_DATABASE_VARIABLE})",
    )
    parser.add_argument(
        "--per-rep",
        type=Path,
        metavar="DIR",
        help="also write <employee_id>.zip per employee (that person's pages only) into DIR",
    )
    args = parser.parse_args(argv)
    try:
        check_environment()
        bi_database = env_path(BI_DATABASE_VARIABLE)
        out_dir = resolve_path(str(args.out)) if args.out else statements_dir(bi_database)
        result = render_statements(bi_database, out_dir, memory_limit=duckdb_memory_limit())
    except (ConfigurationError, StatementsError) as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{result.count} statements (total payout {money(result.total_payout)}; "
        f"{result.rendered} rendered, {result.reused} unchanged) written to "
        f"{result.out_dir} in {result.seconds:.1f} s, from {result.source.path} "
        f"(sha256 {result.source.sha256[:16]}, modified "
        f"{result.source.modified_at.isoformat(timespec='seconds')})"
    )
    if args.per_rep:
        archives = per_rep_archives(result.out_dir, resolve_path(str(args.per_rep)))
        print(f"  {len(archives)} per-employee archives (owner-only) in {args.per_rep}")
    totals = result.totals
    print(
        f"  earned {money(totals['earned_amount'])}, of which SPIFFs "
        f"{money(totals['spiff_amount'])}; draws paid {money(totals['draw_amount'])}, "
        f"recovered {money(totals['draw_recovery_amount'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
