"""Two checks per raw object on what its load rejected, beside the asset they guard.

- ``rejects_within_threshold`` (blocking): fails when any file of the object was rejected, or
  when its rejected rows exceed ``SPM_MAX_REJECT_RATE`` (default 0.01) of its rows, so nothing
  downstream is built and nothing is published;
- ``rejected_rows_below_threshold`` (warning): fails, without blocking, when rows were rejected
  but few enough to go on.

The rate is read when a check runs, not at import, so the environment of the run decides.
"""

import dagster as dg

from ingestion.contract import SourceObject
from ingestion.loader import AUDIT_SCHEMA
from orchestration.defs.ingestion.assets import raw_asset_key
from orchestration.defs.ingestion.rejects import reject_summary
from orchestration.settings import (
    DEFAULT_MAX_REJECT_RATE,
    MAX_REJECT_RATE_VARIABLE,
    SpmSettings,
    max_reject_rate,
)


def build_reject_checks(obj: SourceObject) -> list[dg.AssetChecksDefinition]:
    key = raw_asset_key(obj.source, obj.name)

    @dg.asset_check(
        asset=key,
        name="rejects_within_threshold",
        blocking=True,
        description=(
            f"Blocks the run when a `{obj.folder}` file was rejected as a whole "
            f"(`{AUDIT_SCHEMA}.rejected_files`) or rejected rows (`{AUDIT_SCHEMA}.rejected_rows`) "
            f"exceed `{MAX_REJECT_RATE_VARIABLE}` (default {DEFAULT_MAX_REJECT_RATE}) of the "
            "object's rows. Fix or re-export the file named in the metadata; it is re-read when "
            "its content changes."
        ),
    )
    def _within_threshold(settings: SpmSettings) -> dg.AssetCheckResult:
        with settings.connect_warehouse(read_only=True) as con:
            summary = reject_summary(con, obj, max_reject_rate())
        return dg.AssetCheckResult(
            passed=not summary.blocks,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=summary.metadata(),
        )

    @dg.asset_check(
        asset=key,
        name="rejected_rows_below_threshold",
        description=(
            f"Warns (without blocking) when rows of `{obj.folder}` were rejected but stay within "
            f"`{MAX_REJECT_RATE_VARIABLE}`; they wait in `{AUDIT_SCHEMA}.rejected_rows` with "
            "file, line, column and reason."
        ),
    )
    def _below_threshold(settings: SpmSettings) -> dg.AssetCheckResult:
        with settings.connect_warehouse(read_only=True) as con:
            summary = reject_summary(con, obj, max_reject_rate())
        tolerated = summary.rows_rejected > 0 and not summary.over_threshold
        return dg.AssetCheckResult(
            passed=not tolerated,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=summary.metadata(),
        )

    return [_within_threshold, _below_threshold]
