"""The ``commission_statements`` asset: HTML statements rendered from the published BI file.

It depends on ``publish``, so in a run it renders only after a successful publish (a failed
blocking check stops publish, and with it this asset); it reads the BI file, never the
warehouse, and records the publish run it comes from.
"""

import dagster as dg

from orchestration.defs.resources import SpmSettings
from orchestration.lib.statements.render import StatementsError, render_statements
from spm_common.settings import duckdb_memory_limit, statements_dir

PUBLISH_KEY = dg.AssetKey("publish")


@dg.asset(
    key="commission_statements",
    deps=[PUBLISH_KEY],
    group_name="publish",
    kinds={"html"},
    description=(
        "A commission statement per employee and fiscal quarter, as self-contained HTML (how "
        "the payout adds up, tiers, booking, clawback and SPIFF lines by program with each "
        "deal's name and account, the draw and its balance), "
        "rendered from the published `$SPM_BI_DATABASE` into `$SPM_STATEMENTS_DIR` (default "
        "`statements/` beside the BI file's folder), replaced whole; `index.html` lists them and "
        "`manifest.json` names the published file they come from."
    ),
)
def commission_statements(
    context: dg.AssetExecutionContext, settings: SpmSettings
) -> dg.MaterializeResult:
    published = context.instance.get_latest_materialization_event(PUBLISH_KEY)
    out_dir = statements_dir(settings.bi_database_path)
    try:
        result = render_statements(
            settings.bi_database_path,
            out_dir,
            run_id=published.run_id if published else None,
            memory_limit=duckdb_memory_limit(),
        )
    except StatementsError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    context.log.info(
        f"{result.count} statements in {result.out_dir}: {result.rendered} rendered, "
        f"{result.reused} unchanged since the previous render"
    )
    return dg.MaterializeResult(
        metadata={
            "statements": result.count,
            "statements_rendered": result.rendered,
            "statements_unchanged": result.reused,
            "output": dg.MetadataValue.path(str(result.out_dir)),
            "total_payout": float(result.total_payout),
            **{f"total_{name}": float(value) for name, value in result.totals.items()},
            "source_sha256": result.source.sha256,
            "publish_run_id": result.source.run_id or "",
            "seconds": round(result.seconds, 2),
        }
    )
