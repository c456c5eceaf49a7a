"""One run of the README's command (``materialize_command`` in the repository's pipeline
environment): its wall time, the peak memory of its process tree and the phase times from its
step events; and the DuckDB floor, the time to read the same landing files into DuckDB."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import duckdb

from benchmarks.results import PHASES, CliRun
from ingestion.landing import landing_files
from orchestration.lib.dagster.pipeline import materialize_command
from spm_common.paths import PROJECT_ROOT

# --- process-tree memory -----------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Sum of VmRSS over ``root`` and its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class TreeRssSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._done.wait(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


# --- the pipeline through the real CLI ---------------------------------------------------


def run_cli(label: str, env: dict[str, str], log_dir: Path) -> CliRun:
    """``materialize_command()`` with ``env`` (a ``pipeline_environment``), its output into
    ``<log_dir>/<label>.stdout.log`` and ``.stderr.log``."""
    load = os.getloadavg()
    with (
        open(log_dir / f"{label}.stdout.log", "w") as out,
        open(log_dir / f"{label}.stderr.log", "w") as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            materialize_command(), cwd=PROJECT_ROOT, env=env, stdout=out, stderr=err
        )
        sampler = TreeRssSampler(proc.pid)
        sampler.start()
        # wait4's ru_maxrss covers the child and every descendant it reaped: the largest
        # single process of the tree (dbt runs in a subprocess of the CLI).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_tree = sampler.stop()
    result = CliRun(label, wall, proc.returncode, usage.ru_maxrss * 1024, peak_tree, load)
    if result.returncode == 0:
        _read_run_events(result, Path(env["DAGSTER_HOME"]))
    return result


def _phase(step: str, steps: set[str]) -> str:
    if step == "publish":
        return "publish"
    if step == "commission_statements":
        return "statements"
    # One check step per raw object (``raw__<src>__<obj>_great_expectations``) or one
    # multi-asset-check step for all of them: any key naming Great Expectations.
    if "great_expectations" in step:
        return "GX checks"
    if "dbt" in step:
        return "dbt build"
    # An asset check's step key is its asset's step key plus "_<check name>".
    if step.startswith("raw__") and not any(step.startswith(f"{s}_") for s in steps - {step}):
        return "ingestion"
    return "other checks"


def _read_run_events(result: CliRun, home: Path) -> None:
    """Step durations from the STEP_START / STEP_SUCCESS|FAILURE events of the latest run."""
    from dagster import DagsterEventType as T

    from orchestration.lib.dagster.event_storage import instance_at

    with instance_at(home) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return
        run_id = runs[0].run_id
        stats = instance.get_run_stats(run_id)
        if stats.start_time and stats.end_time:
            result.run_s = stats.end_time - stats.start_time
        records = instance.get_records_for_run(
            run_id, of_type={T.STEP_START, T.STEP_SUCCESS, T.STEP_FAILURE}, limit=100_000
        ).records
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for record in records:
        entry = record.event_log_entry
        if entry.dagster_event.event_type == T.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started:
            durations[entry.step_key] = entry.timestamp - started[entry.step_key]
    result.phases = dict.fromkeys(PHASES, 0.0)
    for step, seconds in durations.items():
        result.phases[_phase(step, set(durations))] += seconds
    result.slowest_steps = sorted(durations.items(), key=lambda kv: -kv[1])[:5]


# --- DuckDB floor ------------------------------------------------------------------------


def duckdb_floor(landing: Path, database: Path) -> tuple[float, int]:
    """Seconds to read every landing CSV the pipeline reads (``landing_files``) into a table
    of a fresh database file, and the rows.

    Types are auto-detected from DuckDB's default sample; where a value after the sample does
    not fit the detected type (a large file), that file is read again with the whole file as
    the sample, as a user of read_csv would have to.
    """
    database.unlink(missing_ok=True)
    files = landing_files(landing)
    start = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        for i, path in enumerate(files):
            try:
                con.execute(f"create table t{i} as select * from read_csv(?)", [str(path)])
            except duckdb.ConversionException:
                con.execute(
                    f"create table t{i} as select * from read_csv(?, sample_size = -1)",
                    [str(path)],
                )
        rows = sum(
            con.execute(f"select count(*) from t{i}").fetchone()[0] for i in range(len(files))
        )
    return time.perf_counter() - start, rows
