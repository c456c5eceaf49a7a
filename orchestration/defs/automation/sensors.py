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
    fingerprint: str


def landing_state(landing: Path) -> LandingState:
    entries = stat_entries(landing_files(landing), landing)
    digest = listing_digest(entries)
    return LandingState(
        files=len(entries),
        bytes=sum(size for _, size, _ in entries),
        newest_mtime_ns=max((mtime for _, _, mtime in entries), default=0),
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
    age = time.time() - state.newest_mtime_ns / 1e9
    wait = settle_seconds()
    if age < wait:
        # The cursor stays put: the next tick sees the change again once the copy is done.
        return dg.SkipReason(f"a landing file changed {age:.0f} s ago; waiting {wait:.0f} s")
    context.update_cursor(state.fingerprint)
    return dg.RunRequest(
        run_key=f"landing-{state.fingerprint}",
        tags={"spm/trigger": "landing_sensor", "spm/landing_files": str(state.files)},
    )
