"""Parse the dbt project for the night's build while ingestion and the quality gate run.

``dbt build`` parses the project before it builds anything. With the partial-parse file of an
earlier build beside it (``partial_parse.msgpack`` in the build's target folder) that costs a
second or two; without one, or when a project file or the profile changed, dbt parses
everything (~9 s on this 2-core machine, before the first model). That happens on the first
run in a new folder and on the first run after a project change, and the steps before dbt
(ingestion, the Great Expectations gate) leave a core free meanwhile.

:func:`start` runs ``dbt parse`` into the build's target folder in a background process when
the folder's partial-parse file was not made from the current inputs, so that the build finds
one that is. The inputs are this module's own record, :func:`parse_fingerprint`: the project
files ``dbt parse`` reads (``orchestration/lib/dbt/parse.py``), dbt's version and every
``SPM_*`` and ``DBT_*`` variable the dbt process will see except the as-of date, which dbt reads
only at execution (``macros/as_of.sql``). The record is written after a successful parse.

Nothing depends on it for correctness: dbt checks the partial-parse file itself and parses
everything again if it does not fit (a variable this record does not cover, say); a wrong
record only costs that parse. ``dbt parse`` does not open the warehouse, so it runs beside
steps that write to it.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.dbt.parse import fingerprint, write_record
from spm_common.settings import AS_OF_DATE_VARIABLE

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
RECORD_FILE = "spm_parse_ahead.txt"
# The parse's output and dbt.log, apart from the build's dbt.log.
LOG_DIR = "spm_parse_ahead"
OUTPUT_FILE = "output.log"
# Variables that can reach the profile or the project at parse time.
PREFIXES = ("SPM_", "DBT_")


def parse_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``environment`` that the record covers (see module docstring)."""
    return {
        name: value
        for name, value in sorted(environment.items())
        if name.startswith(PREFIXES) and name != AS_OF_DATE_VARIABLE
    }


def parse_fingerprint(project_dir: Path, environment: Mapping[str, str]) -> str:
    """A hash of what a partial-parse file depends on, as far as this module knows."""
    return fingerprint(project_dir, environment=parse_environment(environment))


def is_current(target_path: Path, fingerprint: str) -> bool:
    """True when the target folder holds a partial-parse file made from ``fingerprint``."""
    record = target_path / RECORD_FILE
    return (
        (target_path / PARTIAL_PARSE_FILE).is_file()
        and record.is_file()
        and record.read_text().strip() == fingerprint
    )


@dataclass
class ParseAhead:
    """A ``dbt parse`` running in the background, or nothing to do (``process`` is None)."""

    target_path: Path
    fingerprint: str
    process: subprocess.Popen | None = None
    started: float = field(default_factory=time.monotonic)
    outcome: str | None = None
    # When the parse ended, noted by a thread that waits for it (the step asks later).
    finished: float | None = None
    watcher: threading.Thread | None = None

    def __post_init__(self) -> None:
        if self.process is not None:
            self.watcher = threading.Thread(target=self._watch, daemon=True)
            self.watcher.start()

    def _watch(self) -> None:
        self.process.wait()
        self.finished = time.monotonic()

    def wait(self) -> str:
        """Wait for the parse; what happened, in one line for the step's log. A failed parse
        is only reported: the build parses again and reports dbt's own error."""
        if self.outcome is not None:
            return self.outcome
        if self.process is None:
            self.outcome = "partial-parse file current, nothing parsed ahead"
            return self.outcome
        waited = time.monotonic()
        self.watcher.join()
        returncode = self.process.returncode
        took = self.finished - self.started
        blocked = time.monotonic() - waited
        if returncode == 0:
            write_record(self.target_path / RECORD_FILE, self.fingerprint)
            self.outcome = (
                f"dbt parse ran ahead in {took:.1f} s ({blocked:.1f} s of it waited for here)"
            )
        else:
            log = self.target_path / LOG_DIR / OUTPUT_FILE
            self.outcome = (
                f"dbt parse ahead failed (exit {returncode}, output in {log}); "
                "the build parses itself"
            )
        return self.outcome

    def stop(self) -> None:
        """End the parse if it still runs (a run that failed before its dbt step)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    dbt_executable: str,
    project_dir: Path,
    profiles_dir: Path,
    target_path: Path,
    environment: Mapping[str, str],
) -> ParseAhead:
    """Start ``dbt parse`` into ``target_path`` unless its partial-parse file is current.

    ``environment`` is the whole environment the build's dbt process will have (apart from
    what dagster-dbt adds for its own output); the parse runs with it.
    """
    fingerprint = parse_fingerprint(project_dir, environment)
    if is_current(target_path, fingerprint):
        return ParseAhead(target_path, fingerprint)
    logs = target_path / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True)
    (target_path / RECORD_FILE).unlink(missing_ok=True)
    with (logs / OUTPUT_FILE).open("wb") as log:
        process = subprocess.Popen(
            [
                dbt_executable,
                "parse",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(profiles_dir),
                "--target-path",
                str(target_path),
                "--log-path",
                str(logs),
            ],
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ParseAhead(target_path, fingerprint, process)
