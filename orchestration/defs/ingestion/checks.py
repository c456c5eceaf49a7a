"""Two checks per raw object on what its load rejected, all reported from one step.

- ``rejects_within_threshold`` (blocking): fails when any file of the object was rejected, or
  when its rejected rows exceed ``SPM_MAX_REJECT_RATE`` (default 0.01) of its rows, so nothing
  downstream is built and nothing is published;
- ``rejected_rows_below_threshold`` (warning): fails, without blocking, when rows were rejected
  but few enough to go on.

Both checks of every raw object are the specs of one multi-asset check (``raw_reject_rates``):
one Dagster step and one read-only warehouse connection instead of two steps per object, with a
result per object and check as before. A blocking failure fails that step, so everything
downstream of the raw objects waits (in this graph the one dbt step downstream of them all
would wait anyway). The rate is read when the checks run, not at import, so the environment of
the run decides.
"""

from collections.abc import Iterator, Sequence

import dagster as dg
import duckdb

from ingestion.contract import SourceObject
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import raw_asset_key
from orchestration.lib.quality.rejects import reject_summary
from spm_common.schemas import AUDIT_SCHEMA
from spm_common.settings import DEFAULT_MAX_REJECT_RATE, MAX_REJECT_RATE_VARIABLE, max_reject_rate

STEP_NAME = "raw_reject_rates"
BLOCKING = "rejects_within_threshold"
WARNING = "rejected_rows_below_threshold"


def reject_check_specs(obj: SourceObject) -> list[dg.AssetCheckSpec]:
    key = raw_asset_key(obj.source, obj.name)
    return [
        dg.AssetCheckSpec(
            name=BLOCKING,
            asset=key,
            blocking=True,
            description=(
                f"Blocks the run when a `{obj.folder}` file was rejected as a whole "
                f"(`{AUDIT_SCHEMA}.rejected_files`) or rejected rows "
                f"(`{AUDIT_SCHEMA}.rejected_rows`) exceed `{MAX_REJECT_RATE_VARIABLE}` (default "
                f"{DEFAULT_MAX_REJECT_RATE}) of the object's rows. Fix or re-export the file "
                "named in the metadata; it is re-read when its content changes."
            ),
        ),
        dg.AssetCheckSpec(
            name=WARNING,
            asset=key,
            description=(
                f"Warns (without blocking) when rows of `{obj.folder}` were rejected but stay "
                f"within `{MAX_REJECT_RATE_VARIABLE}`; they wait in "
                f"`{AUDIT_SCHEMA}.rejected_rows` with file, line, column and reason."
            ),
        ),
    ]


def reject_check_results(
    con: duckdb.DuckDBPyConnection, obj: SourceObject
) -> tuple[dg.AssetCheckResult, dg.AssetCheckResult]:
    """The blocking and the warning result of one object."""
    key = raw_asset_key(obj.source, obj.name)
    summary = reject_summary(con, obj, max_reject_rate())
    tolerated = summary.rows_rejected > 0 and not summary.over_threshold
    blocking = dg.AssetCheckResult(
        asset_key=key,
        check_name=BLOCKING,
        passed=not summary.blocks,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=summary.metadata(),
    )
    warning = dg.AssetCheckResult(
        asset_key=key,
        check_name=WARNING,
        passed=not tolerated,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=summary.metadata(),
    )
    return blocking, warning


def build_reject_checks(objects: Sequence[SourceObject]) -> dg.AssetChecksDefinition:
    """The reject checks of ``objects``, one step for all (see module docstring)."""
    specs = {obj.folder: reject_check_specs(obj) for obj in objects}

    @dg.multi_asset_check(
        name=STEP_NAME,
        specs=[spec for folder_specs in specs.values() for spec in folder_specs],
        can_subset=True,
        description="What each selected raw object's load rejected, against the threshold.",
    )
    def _reject_rates(
        context: dg.AssetCheckExecutionContext, settings: SpmSettings
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        with settings.connect_warehouse(read_only=True) as con:
            for obj in objects:
                if not any(spec.key in selected for spec in specs[obj.folder]):
                    continue
                for result in reject_check_results(con, obj):
                    if dg.AssetCheckKey(result.asset_key, result.check_name) in selected:
                        yield result

    return _reject_rates
