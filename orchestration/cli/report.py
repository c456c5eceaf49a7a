"""`python -m orchestration.cli.report`: where the BI database is, and each published table's
row count (``make run`` ends with it)."""

import sys

from orchestration.lib.publish.bi_file import published_counts
from spm_common.schemas import MARTS_SCHEMA
from spm_common.settings import BI_DATABASE_VARIABLE, env_path


def main() -> int:
    path = env_path(BI_DATABASE_VARIABLE)
    if not path.exists():
        print(f"No BI database at {path}: nothing has been published yet.", file=sys.stderr)
        return 1
    counts = published_counts(path)
    print(f"BI database: {path}")
    width = max((len(t) for t, _ in counts), default=0) + len(MARTS_SCHEMA) + 1
    for table, count in counts:
        print(f"  {MARTS_SCHEMA}.{table:<{width - len(MARTS_SCHEMA) - 1}}  {count:>10,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
