"""One run of the README's command (``materialize_command`` in the repository's pipeline
environment): its wall time, the peak memory of its process tree and the phase times from its
step events; and the DuckDB floor, the time to read the same landing files into DuckDB."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.results import PHASES, CliRun
from ingestion.landing import landing_files
from orchestration.lib.dagster.pipeline import materialize_command
from spm_common.paths import PROJECT_ROOT

# --- process-tree memory -----------------------------------------------------------------


def isolated(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a new interpreter (spawned: fork and exec), its result returned.

    Used for the benchmark's own data work (the DuckDB floor, the delta drop; DuckDB may take
    80 % of RAM by default): done in this process it would raise this process's high-water
    mark, which every CLI run started afterwards inherits as its ``ru_maxrss`` (see
    ``CliRun.harness_hwm_bytes``), so that reading would measure the benchmark, not the run.
    """
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``, from each of its threads' ``children`` file."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            found += [
                int(c) for c in Path(f"/proc/{pid}/task/{thread}/children").read_text().split()
            ]
        except OSError:
            continue
    return found


def _memory(pid: int) -> tuple[int, int, str] | None:
    """(VmRSS, VmHWM, name) of a live process, in bytes; None once it is gone. VmHWM is the
    kernel's own high-water mark of the process's resident set: exact, whatever the sampling."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def kb(name: str) -> int:
        return int(fields.get(name, "0 kB").split()[0]) * 1024

    words = [w.decode(errors="replace") for w in cmdline if w]
    # "python -m orchestration..." or ".../bin/dbt build": the program and its first argument.
    program = [Path(w).name for w in words[:3] if not w.startswith("-")]
    return kb("VmRSS"), kb("VmHWM"), " ".join(program[:2]) or fields["Name"].strip()


class TreeRssSampler(threading.Thread):
    """Samples the process tree of ``pid`` every ``interval`` seconds: the peak of the sum of
    its processes' RSS, and each process's own high-water mark (``VmHWM``, read while it is
    alive, so a spike between two samples is still counted for the process that had it)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.process_peaks: dict[int, tuple[str, int]] = {}
        self._done = threading.Event()

    def sample(self) -> None:
        total, stack = 0, [self.pid]
        while stack:
            pid = stack.pop()
            memory = _memory(pid)
            if memory is None:
                continue
            rss, hwm, name = memory
            total += rss
            self.process_peaks[pid] = (name, max(hwm, self.process_peaks.get(pid, ("", 0))[1]))
            stack.extend(_children(pid))
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak

    def largest(self, count: int = 3) -> list[tuple[str, int]]:
        """The processes with the highest high-water marks, largest first."""
        return sorted(self.process_peaks.values(), key=lambda item: -item[1])[:count]


# --- the pipeline through the real CLI ---------------------------------------------------


def run_cli(label: str, env: dict[str, str], log_dir: Path) -> CliRun:
    """``materialize_command()`` with ``env`` (a ``pipeline_environment``), its output into
    ``<log_dir>/<label>.stdout.log`` and ``.stderr.log``."""
    load = os.getloadavg()
    with (
        open(log_dir / f"{label}.stdout.log", "w") as out,
        open(log_dir / f"{label}.stderr.log", "w") as err,
    ):
        harness_hwm = _memory(os.getpid())[1]
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
    result.process_peaks = sampler.largest()
    result.harness_hwm_bytes = harness_hwm
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
    # No progress bar: in the spawned interpreter DuckDB would print it into the log.
    with duckdb.connect(str(database)) as con:
        con.execute("set enable_progress_bar = false")
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
