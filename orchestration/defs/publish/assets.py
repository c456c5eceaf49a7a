"""Publish (write-audit-publish): the marts reach the BI file only when every check passed.

BI tools read only ``$SPM_BI_DATABASE``, replaced whole by ``orchestration/lib/publish/bi_file.py``.
Publish waits for every dbt model it copies, i.e. every model built in schema ``marts`` (the
marts and MetricFlow's time spine; keys from dagster-dbt), so a new mart is published without
touching this file.

Dagster gates an asset on the failed blocking checks of the assets it reads, and transitively on
whatever those gates skip; it does not gate on a check of an asset built inside the same step as
its inputs (every dbt model is one step). ``publish`` therefore also refuses, at run time, when a
blocking check of its run failed or has not reported yet.
"""

from collections.abc import Iterable, Mapping

import dagster as dg

from orchestration.defs.dbt.assets import models_in_schema
from orchestration.defs.resources import SpmSettings
from orchestration.lib.ledger.close import lock_and_publish
from spm_common.schemas import MARTS_SCHEMA
from spm_common.settings import duckdb_memory_limit


def blocking_check_problems(
    evaluations: Iterable[dg.AssetCheckEvaluation],
    planned: Iterable[dg.AssetCheckKey],
    blocking: Mapping[dg.AssetCheckKey, bool],
    upstream: set[dg.AssetKey],
) -> list[str]:
    """Why the marts must not be published, one line per blocking check; empty when none.

    ``evaluations`` are the run's results so far, in order (a later one wins); ``planned`` the
    checks the run executes, ``blocking`` their specs' flag and ``upstream`` the assets publish
    is built from. A planned blocking check of an upstream asset without a result yet has not
    run before publish (or its step failed): it must not be skipped silently.
    """
    latest = {evaluation.asset_check_key: evaluation for evaluation in evaluations}
    problems = [
        f"{key.to_user_string()} failed"
        for key, evaluation in latest.items()
        if not evaluation.passed
        and evaluation.severity == dg.AssetCheckSeverity.ERROR
        and (evaluation.blocking or blocking.get(key, False))
    ]
    problems += [
        f"{key.to_user_string()} has no result in this run"
        for key in dict.fromkeys(planned)
        if key not in latest and blocking.get(key, False) and key.asset_key in upstream
    ]
    return sorted(problems)


def _records(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def run_blocking_check_problems(context: dg.AssetExecutionContext) -> list[str]:
    """``blocking_check_problems`` of the current run, read from the Dagster instance."""
    run_id = context.run.run_id
    graph = context.job_def.asset_layer.asset_graph
    planned = [
        dg.AssetCheckKey(event.asset_key, event.check_name)
        for event in _records(
            context.instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        )
    ]
    upstream = set().union(*(graph.get_ancestor_asset_keys(key) for key in context.assets_def.keys))
    return blocking_check_problems(
        evaluations=_records(context.instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        planned=planned,
        blocking={key: graph.get_check_spec(key).blocking for key in graph.asset_check_keys},
        upstream=upstream,
    )


@dg.asset(
    key="publish",
    deps=models_in_schema(MARTS_SCHEMA),
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "Copies schema `marts` of the working DuckDB into a new file and atomically renames it "
        "over `$SPM_BI_DATABASE`. Runs only after every upstream asset and blocking check of "
        "the run passed; refuses if any blocking check of the run failed."
    ),
)
def publish(context: dg.AssetExecutionContext, settings: SpmSettings) -> dg.MaterializeResult:
    problems = run_blocking_check_problems(context)
    if problems:
        raise dg.Failure(
            description=(
                f"Not published, {settings.bi_database_path} is unchanged: blocking checks of "
                "this run did not pass:\n" + "\n".join(f"- {p}" for p in problems)
            ),
            metadata={"blocking_checks": dg.MetadataValue.json(problems)},
            allow_retries=False,
        )
    # Period close: lock the quarters that close in this run, then publish
    # (orchestration/lib/ledger/close.py says why in that order).
    counts, lock = lock_and_publish(
        settings.warehouse_path,
        settings.bi_database_path,
        settings.ledger_database_path,
        settings.as_of(),
        context.run.run_id,
        duckdb_memory_limit(),
    )
    locked = sorted(q.isoformat() for q in lock.quarters) if lock else []
    if locked:
        context.log.info(f"locked {locked} in {settings.ledger_database_path}")
    context.log.info(f"published {len(counts)} tables to {settings.bi_database_path}")
    return dg.MaterializeResult(
        metadata={
            "bi_database": dg.MetadataValue.path(str(settings.bi_database_path)),
            "tables": dg.MetadataValue.json(counts),
            "dagster/row_count": sum(counts.values()),
            "locked_quarters": dg.MetadataValue.json(locked),
        }
    )
