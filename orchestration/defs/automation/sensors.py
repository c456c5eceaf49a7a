"""The landing sensor: a run when landing files arrive or change.

``landing_sensor`` fingerprints the landing CSVs (relative path, size, ``mtime_ns``) of every
object folder under ``SPM_LANDING_DIR``; a fingerprint it has not seen starts the nightly job
(the run key is the fingerprint, so one state starts at most one run). It waits until no file
changed for ``SPM_LANDING_SETTLE_SECONDS`` (default 60), so a copy in progress does not start a
run on half a file.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ingestion.landing import landing_files
from orchestration.defs.automation.jobs import nightly_materialization
from spm_common.fingerprints import listing_digest, stat_entries
from spm_common.settings import LANDING_DIR_VARIABLE, env_path, settle_seconds


@dataclass(frozen=True)
class LandingState:
    files: int
    bytes: int
    newest_mtime_ns: int
    newest_file: str | None  # relative to the landing folder
    fingerprint: str

    def unsettled(self, settle: float, now: float | None = None) -> str | None:
        """Why a run should not start yet: a file changed less than ``settle`` seconds ago."""
        if not self.files:
            return None
        age = (time.time() if now is None else now) - self.newest_mtime_ns / 1e9
        if age >= settle:
            return None
        return (
            f"landing file {self.newest_file} changed {max(age, 0):.0f} s ago, less than "
            f"SPM_LANDING_SETTLE_SECONDS ({settle:.0f} s): it may still be being written"
        )


def landing_state(landing: Path) -> LandingState:
    entries = stat_entries(landing_files(landing), landing)
    digest = listing_digest(entries)
    newest = max(entries, key=lambda entry: entry[2], default=None)
    return LandingState(
        files=len(entries),
        bytes=sum(size for _, size, _ in entries),
        newest_mtime_ns=newest[2] if newest else 0,
        newest_file=newest[0] if newest else None,
        fingerprint=digest,
    )


@dg.sensor(
    name="landing_sensor",
    job=nightly_materialization,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts the nightly job when CSV files under `SPM_LANDING_DIR` are new or changed "
        "(path, size, mtime), once no file changed for `SPM_LANDING_SETTLE_SECONDS` (60)."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    landing = env_path(LANDING_DIR_VARIABLE)
    state = landing_state(landing)
    if state.files == 0:
        return dg.SkipReason(f"no landing CSV files under {landing}")
    if state.fingerprint == context.cursor:
        return dg.SkipReason(f"{state.files} landing files under {landing}, none new or changed")
    unsettled = state.unsettled(settle_seconds())
    if unsettled:
        # The cursor stays put: the next tick sees the change again once the copy is done.
        return dg.SkipReason(f"{unsettled}; waiting")
    context.update_cursor(state.fingerprint)
    return dg.RunRequest(
        run_key=f"landing-{state.fingerprint}",
        tags={"spm/trigger": "landing_sensor", "spm/landing_files": str(state.files)},
    )
