"""`python -m orchestration.cli.superset_access`: Superset's users, roles and row-level
security filters, computed from the published BI file (orchestration/lib/bi/access.py), as the
JSON that bi/superset_access.py applies (`make bi` runs both).

A rep sees their own rows, a manager those of everyone under them in the HRIS manager chain,
sales ops (an HRIS department in $SPM_BI_SALES_OPS_DEPARTMENTS, comma-separated, default
"Sales Operations") every row. Employment is judged on $SPM_AS_OF_DATE (default today, UTC).
"""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from orchestration.cli.arguments import add_bi_database, bi_database_path
from orchestration.lib.bi.access import ROLES, access_plan
from orchestration.lib.bi.superset_bundle import project_bundle
from spm_common.permissions import private_files
from spm_common.settings import as_of_date, sales_ops_departments

DEFAULT_OUT = Path("data/superset/access.json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON to write")
    add_bi_database(parser)
    args = parser.parse_args(argv)
    bi_database = bi_database_path(args)
    today = as_of_date() or datetime.now(UTC).date()
    files = project_bundle(bi_database).files
    columns = {
        f["table_name"]: {c["column_name"] for c in f["columns"]}
        for name, f in files.items()
        if name.startswith("datasets/")
    }
    plan = access_plan(bi_database, columns, today, sales_ops_departments())
    # It names every user and what they may see: owner only, like Superset's metadata.
    with private_files():
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(plan.to_json(), indent=1))
    counts = {role: sum(1 for u in plan.users if u.role == role) for role in ROLES}
    print(
        f"Superset access: {args.out} ({', '.join(f'{n} {r}' for r, n in counts.items())}; "
        f"{len(plan.filters)} row-level security filters on "
        f"{len(plan.filters[-1].datasets)} datasets with a rep or employee key)"
    )


if __name__ == "__main__":
    main()
