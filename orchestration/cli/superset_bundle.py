"""`python -m orchestration.cli.superset_bundle`: the Superset import bundle, built from the
semantic layer.

Datasets and their metrics come from MetricFlow's definitions in
`dbt_project/target/semantic_manifest.json` (one per semantic model, physical table
`marts.<model>`; a model with a foreign `rep` entity becomes a virtual dataset joining `dim_reps`
so charts filter by `rep__rep_name` and `rep__department`, MetricFlow's names). Each metric is
translated once into Superset SQL: simple = agg(expr) with its filter, ratio =
numerator / nullif(denominator, 0), derived = its expression over its inputs' SQL; cumulative
metrics are left to Superset's own cumulative options. Charts and dashboards come from
`bi/dashboards/*.yml`, which name metrics and dimensions only, never SQL.

The bundle is a zip of YAML files (databases/, datasets/, charts/, dashboards/) that
`superset import-dashboards -p <zip> -u admin` imports, overwriting what an earlier import made
(every uuid is derived from a name).
"""

import argparse
from pathlib import Path

from orchestration.cli.arguments import add_bi_database, bi_database_path
from orchestration.lib.bi.superset_bundle import DEFAULT_BUNDLE, project_bundle, write_bundle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_BUNDLE, help="the zip to write")
    add_bi_database(parser)
    args = parser.parse_args(argv)
    bi_database = bi_database_path(args)
    bundle = project_bundle(bi_database)
    files, layer, specs = bundle.files, bundle.layer, bundle.specs
    write_bundle(files, args.out)
    _, skipped = layer.translated_metrics()
    count = {kind: sum(1 for n in files if n.startswith(kind)) for kind in ("datasets", "charts")}
    print(
        f"Superset bundle: {args.out} ({count['datasets']} datasets, {count['charts']} charts, "
        f"{len(specs)} dashboards; {len(layer.metrics) - len(skipped)} metrics translated, "
        f"not translated: {', '.join(sorted(skipped)) or 'none'}); "
        f"reads {bi_database} read-only"
    )


if __name__ == "__main__":
    main()
