"""Benchmark the pipeline at one or more scales: DuckDB floor, full materialization, nightly run.

    python benchmarks/run_benchmark.py --scales 1 10 30 100 [--seed 42] [--as-of 2026-11-26]
        [--workdir /tmp/spm-bench] [--cache-dir data/bench-cache] [--fixed-scale 0.05]
        [--no-nightly] [--out docs/benchmarks.md [--append]]
        [--plot docs/img/benchmark_scaling.png]
    python benchmarks/run_benchmark.py --scale 10 ...          # one scale, same report
    python benchmarks/run_benchmark.py --from-json /tmp/spm-bench/results.json --out ... --plot ...

Everything is written under ``--workdir`` (emptied first): per scale a folder with the landing
files, the working and BI databases and the Dagster instance, plus ``results.json`` with every
raw number. The fixed-cost run (a full run at ``--fixed-scale``) is measured once and serves
every scale's targets. The pipeline runs through the real CLI, exactly as ``make run`` does;
per-phase times come from the run's step events in that Dagster instance. With
``--cache-dir`` the demo landing folder of each (scale, seed, as-of) is generated once and
hard-linked into the work folder afterwards. See ``docs/benchmarks.md`` for what each number
means and the measured results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ingestion.demo import generate  # noqa: E402
from ingestion.demo.delta import write_delta_drop  # noqa: E402

DAGSTER = str(Path(sys.executable).parent / "dagster")
CLI = [DAGSTER, "asset", "materialize", "-m", "orchestration.definitions", "--select", "*"]
MARKER = ".spm-benchmark"
GB = 1024**3
PHASES = ("ingestion", "dbt build", "GX checks", "other checks", "publish", "statements")

# The targets of issue 15.
FIXED_LIMIT_S = 15.0  # the fixed cost (the full run at scale 0.05)
FLOOR_FACTOR = 3  # full run <= 3 x DuckDB floor + fixed cost
NIGHTLY_SHARE = 0.10  # nightly <= fixed cost + 10 % of (full - fixed cost)
RSS_LIMIT_BYTES = 4 * GB  # peak RSS of the full run's process tree at scale 100
MID_SCALE, BIG_SCALE = 10.0, 100.0
LINEARITY_SCALES = (1.0, 10.0, 30.0, 100.0)

# The part of docs/benchmarks.md (or any --out file) this script owns.
BEGIN = "<!-- benchmark-results:begin (written by benchmarks/run_benchmark.py) -->"
END = "<!-- benchmark-results:end -->"
_BLOCK = re.compile(r"<!-- benchmark-results:begin[^>]*-->.*?<!-- benchmark-results:end -->", re.S)

# Files that make up the demo generator: a cached landing folder made by other code is stale.
GENERATOR_SOURCES = ("ingestion/demo", "ingestion/contract.py")

MATPLOTLIB_MISSING = (
    "--plot needs matplotlib, which the default install leaves out: run `make install-bench` "
    "(or `.venv/bin/uv pip install -r requirements-bench.lock`)"
)


@dataclass
class CliRun:
    label: str
    wall_s: float
    returncode: int
    max_process_rss_bytes: int
    peak_tree_rss_bytes: int
    load_before: tuple[float, float, float]
    run_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    slowest_steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def boot_s(self) -> float:
        """CLI wall time outside the run: interpreter, imports, loading definitions, teardown."""
        return self.wall_s - self.run_s


@dataclass
class ScaleRun:
    """One scale: its landing folder, the DuckDB floor, the full run and the nightly run."""

    scale: float
    landing_rows: int
    landing_files: int
    landing_mb: float
    floor_s: float
    full: CliRun
    nightly: CliRun | None = None
    delta_rows: int = 0
    generate_s: float = 0.0
    landing_source: str = "generated"
    loads: dict[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass
class Benchmark:
    """Everything one invocation measured; ``fixed`` is the fixed-cost run shared by all scales."""

    seed: int
    as_of: str
    fixed_scale: float
    fixed: ScaleRun | None
    scales: list[ScaleRun]
    machine: dict[str, str]

    def at(self, scale: float) -> ScaleRun | None:
        return next((r for r in self.scales if math.isclose(r.scale, scale)), None)

    @property
    def fixed_s(self) -> float:
        if self.fixed is None:
            raise ValueError("no fixed-cost run")
        return self.fixed.full.wall_s


# --- machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024**2:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        **{pkg: version(pkg) for pkg in ("duckdb", "dagster", "dagster-dbt", "dbt-core")},
        "dbt-duckdb": version("dbt-duckdb"),
    }


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


def pipeline_env(root: Path, as_of: date) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPM_", "DAGSTER_", "DBT_"))}
    env.update(
        SPM_LANDING_DIR=str(root / "landing"),
        SPM_WAREHOUSE=str(root / "warehouse" / "spm.duckdb"),
        SPM_BI_DATABASE=str(root / "bi" / "spm.duckdb"),
        SPM_AS_OF_DATE=as_of.isoformat(),
        DAGSTER_HOME=str(home),
        DAGSTER_DISABLE_TELEMETRY="true",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def run_cli(label: str, env: dict[str, str], log_dir: Path) -> CliRun:
    load = os.getloadavg()
    with (
        open(log_dir / f"{label}.stdout.log", "w") as out,
        open(log_dir / f"{label}.stderr.log", "w") as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(CLI, cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
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

    from orchestration.lib.event_storage import instance_at

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
    """Seconds to read every landing CSV into a table of a fresh database file, and the rows.

    Types are auto-detected from DuckDB's default sample; where a value after the sample does
    not fit the detected type (a large file), that file is read again with the whole file as
    the sample, as a user of read_csv would have to.
    """
    database.unlink(missing_ok=True)
    files = sorted(landing.rglob("*.csv"))
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


def warm(files: list[Path]) -> None:
    """Read every file once, so each scale's floor starts from the page cache, as it does
    right after generating (a landing folder linked from an old cache may be cold)."""
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(8 * 1024 * 1024):
                pass


# --- landing folders: generated, or generated once into a cache and hard-linked ------------


def cache_entry_name(scale: float, seed: int, as_of: date) -> str:
    return f"scale-{scale:g}-seed-{seed}-asof-{as_of.isoformat()}"


def generator_fingerprint() -> str:
    """Hash of the generator's source: a cached landing folder made by other code is stale."""
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        root = REPO_ROOT / name
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def inventory(folder: Path) -> dict[str, list[int]]:
    """Relative path -> [size, mtime_ns] of every file under ``folder``."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            files[path.relative_to(folder).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return files


def cached_landing(cache: Path, scale: float, seed: int, as_of: date) -> tuple[Path, dict, bool]:
    """The cache entry ``<cache>/scale-<N>-seed-<S>-asof-<D>`` (its ``landing`` folder and
    ``manifest.json``), generated unless a complete one from the same generator code exists.
    Returns the entry, its manifest and whether it was generated now.

    The cached files are made read-only and are only ever hard-linked from: the pipeline reads
    landing files and the nightly delta adds new ones (``write_delta_drop`` writes a ``.part``
    file and renames it), so no run changes a cached file. The manifest records every file's
    size and mtime; an entry whose files differ from it is generated again.
    """
    name = cache_entry_name(scale, seed, as_of)
    entry = cache / name
    fingerprint = generator_fingerprint()
    manifest_path = entry / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("generator") != fingerprint:
            problem = "generated by other generator code"
        elif inventory(entry / "landing") != manifest.get("files"):
            problem = "its files changed since they were generated"
        else:
            return entry, manifest, False
        print(f"cache {entry}: {problem}; generating it again", flush=True)
    if entry.exists():
        shutil.rmtree(entry)
    cache.mkdir(parents=True, exist_ok=True)
    staging = cache / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    counts = generate(staging / "landing", scale=scale, seed=seed, as_of=as_of)
    seconds = time.perf_counter() - start
    for path in (staging / "landing").rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    manifest = {
        "scale": scale,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "generator": fingerprint,
        "generate_s": seconds,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows_written": counts,
        "files": inventory(staging / "landing"),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    try:
        staging.rename(entry)
    except OSError:  # another benchmark made the same entry meanwhile: use that one
        shutil.rmtree(staging)
        return cached_landing(cache, scale, seed, as_of)
    return entry, manifest, True


def link_tree(source: Path, target: Path) -> tuple[int, int]:
    """Hard-link every file under ``source`` to the same place under ``target`` (copy where a
    link is impossible, e.g. another file system); return (linked, copied)."""
    linked = copied = 0
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
            linked += 1
        except OSError:
            shutil.copy2(path, destination)
            copied += 1
    return linked, copied


def provide_landing(
    landing: Path, scale: float, seed: int, as_of: date, cache: Path | None
) -> tuple[float, str]:
    """Fill ``landing`` with the demo data; return the generator's seconds and where from."""
    if cache is None:
        start = time.perf_counter()
        generate(landing, scale=scale, seed=seed, as_of=as_of)
        return time.perf_counter() - start, "generated"
    entry, manifest, fresh = cached_landing(cache, scale, seed, as_of)
    linked, copied = link_tree(entry / "landing", landing)
    how = f"{linked} files hard-linked" + (f", {copied} copied" if copied else "")
    when = "now" if fresh else manifest["generated_at"]
    return manifest["generate_s"], f"cache {entry.name} (generated {when}; {how})"


# --- measuring ---------------------------------------------------------------------------


def measure_scale(
    root: Path, scale: float, seed: int, as_of: date, cache: Path | None, nightly: bool
) -> ScaleRun:
    """Landing folder, DuckDB floor, full run and (if ``nightly``) the 1 % delta run, in
    ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    generate_s, source = provide_landing(landing, scale, seed, as_of, cache)
    print(f"scale {scale:g}: landing {source}, generator {generate_s:.1f} s", flush=True)
    csvs = sorted(landing.rglob("*.csv"))
    warm(csvs)

    loads: dict[str, tuple[float, ...]] = {"floor": os.getloadavg()}
    floor_db = root / "floor.duckdb"
    floor_s, rows = duckdb_floor(landing, floor_db)
    for path in (floor_db, floor_db.with_name(floor_db.name + ".wal")):
        path.unlink(missing_ok=True)  # a copy of the landing data: only its time matters
    print(f"scale {scale:g}: DuckDB floor {floor_s:.1f} s for {rows:,} rows", flush=True)

    full = _checked(run_cli("full", pipeline_env(root, as_of), root), root)
    loads["full"] = full.load_before
    print(f"scale {scale:g}: full materialization {full.wall_s:.1f} s", flush=True)
    run = ScaleRun(
        scale=scale,
        landing_rows=rows,
        landing_files=len(csvs),
        landing_mb=sum(p.stat().st_size for p in csvs) / 1024**2,
        floor_s=floor_s,
        full=full,
        generate_s=generate_s,
        landing_source=source,
        loads=loads,
    )
    if nightly:
        night = as_of + timedelta(days=1)
        run.delta_rows = write_delta_drop(landing, night, seed)
        run.nightly = _checked(run_cli("nightly", pipeline_env(root, night), root), root)
        loads["nightly"] = run.nightly.load_before
        print(f"scale {scale:g}: nightly run {run.nightly.wall_s:.1f} s", flush=True)
    return run


def _checked(run: CliRun, root: Path) -> CliRun:
    if run.returncode != 0:
        raise SystemExit(f"{run.label} run failed; see {root}/{run.label}.stderr.log")
    return run


def warm_up(work: Path, as_of: date) -> None:
    """Parse the dbt project once, untimed (``make manifest``): the first run after a change
    to dbt_project (or in a fresh checkout) would otherwise pay the parse inside the fixed
    cost. Every measured run then finds the manifest fresh, as a nightly run does."""
    root = work / "warm-up"
    command = [sys.executable, "-m", "orchestration.cli.dbt_manifest"]
    start = time.perf_counter()
    with open(root.parent / "warm-up.log", "w") as log:
        done = subprocess.run(
            command, cwd=REPO_ROOT, env=pipeline_env(root, as_of), stdout=log, stderr=log
        )
    if done.returncode != 0:
        raise SystemExit(f"dbt parse failed; see {work}/warm-up.log")
    print(f"warm-up: dbt manifest parsed in {time.perf_counter() - start:.1f} s", flush=True)


def run_benchmark(args: argparse.Namespace) -> Benchmark:
    work = fresh_workdir(args.workdir.resolve())
    warm_up(work, args.as_of)
    cache = args.cache_dir.resolve() if args.cache_dir else None
    bench = Benchmark(
        seed=args.seed,
        as_of=args.as_of.isoformat(),
        fixed_scale=args.fixed_scale,
        fixed=None,
        scales=[],
        machine=machine(),
    )

    def save() -> None:  # after every scale, so a failure later keeps what was measured
        save_results(bench, work / "results.json")

    scales = sorted(set(args.scales))
    if scales[0] > args.fixed_scale:
        bench.fixed = measure_scale(
            work / f"fixed-{args.fixed_scale:g}",
            args.fixed_scale,
            args.seed,
            args.as_of,
            cache,
            nightly=False,
        )
        print(f"fixed cost (scale {args.fixed_scale:g}) {bench.fixed_s:.1f} s", flush=True)
        save()
    for scale in scales:
        run = measure_scale(
            work / f"scale-{scale:g}", scale, args.seed, args.as_of, cache, not args.no_nightly
        )
        bench.scales.append(run)
        if bench.fixed is None:  # the smallest scale is at or below --fixed-scale
            bench.fixed, bench.fixed_scale = run, scale
        save()
    return bench


# --- raw results as JSON -----------------------------------------------------------------


def save_results(bench: Benchmark, path: Path, derived: dict | None = None) -> None:
    data = asdict(bench)
    if derived is not None:
        data["derived"] = derived
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def _cli_run(data: dict) -> CliRun:
    return CliRun(
        **{
            **data,
            "load_before": tuple(data["load_before"]),
            "slowest_steps": [tuple(step) for step in data["slowest_steps"]],
        }
    )


def _scale_run(data: dict) -> ScaleRun:
    return ScaleRun(
        **{
            **data,
            "full": _cli_run(data["full"]),
            "nightly": _cli_run(data["nightly"]) if data["nightly"] else None,
            "loads": {k: tuple(v) for k, v in data["loads"].items()},
        }
    )


def load_results(path: Path) -> Benchmark:
    data = json.loads(Path(path).read_text())
    return Benchmark(
        seed=data["seed"],
        as_of=data["as_of"],
        fixed_scale=data["fixed_scale"],
        fixed=_scale_run(data["fixed"]) if data["fixed"] else None,
        scales=[_scale_run(s) for s in data["scales"]],
        machine=data["machine"],
    )


# --- targets and linearity ---------------------------------------------------------------


@dataclass
class Target:
    name: str
    limit: float | None  # seconds or bytes (see unit); None: reported, no limit
    measured: float | None
    unit: str  # "s" or "GB"
    ok: bool | None  # None: reported, not judged against a limit
    limit_note: str = ""
    measured_note: str = ""


@dataclass
class Fit:
    """Least-squares line ``y = intercept + slope * x`` and its R²."""

    intercept: float
    slope: float
    r2: float
    n: int


def linear_fit(xs: list[float], ys: list[float]) -> Fit | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return Fit(intercept, slope, 1 - ss_res / ss_tot if ss_tot else 1.0, n)


def full_fit(bench: Benchmark) -> Fit | None:
    return linear_fit([r.landing_rows for r in bench.scales], [r.full.wall_s for r in bench.scales])


def nightly_fit(bench: Benchmark) -> Fit | None:
    runs = [r for r in bench.scales if r.nightly]
    return linear_fit([r.landing_rows for r in runs], [r.nightly.wall_s for r in runs])


def full_limit(run: ScaleRun, fixed_s: float) -> float:
    return FLOOR_FACTOR * run.floor_s + fixed_s


def nightly_limit(run: ScaleRun, fixed_s: float) -> float:
    return fixed_s + NIGHTLY_SHARE * (run.full.wall_s - fixed_s)


def targets(bench: Benchmark, plotted: bool) -> tuple[list[Target], list[str]]:
    """The issue's targets that this invocation's scales can judge, and those it cannot."""
    judged: list[Target] = []
    not_judged: list[str] = []
    if bench.fixed is None:
        return judged, ["every target: no fixed-cost run"]
    fixed = bench.fixed_s
    other = "" if math.isclose(bench.fixed_scale, 0.05) else ", not the issue's 0.05"
    judged.append(
        Target(
            f"fixed cost (the full run at scale {bench.fixed_scale:g}{other}) ≤ 15 s",
            FIXED_LIMIT_S,
            fixed,
            "s",
            fixed <= FIXED_LIMIT_S,
        )
    )

    def full_target(run: ScaleRun) -> Target:
        limit = full_limit(run, fixed)
        return Target(
            f"scale {run.scale:g}: full ≤ 3 x floor + fixed cost",
            limit,
            run.full.wall_s,
            "s",
            run.full.wall_s <= limit,
            limit_note=f"3 x {run.floor_s:.1f} + {fixed:.1f}",
        )

    mid = bench.at(MID_SCALE)
    if mid is None:
        not_judged.append(f"scale {MID_SCALE:g} full and nightly (scale {MID_SCALE:g} not run)")
    else:
        judged.append(full_target(mid))
        if mid.nightly is None:
            not_judged.append(f"scale {MID_SCALE:g} nightly (not run: --no-nightly)")
        else:
            limit = nightly_limit(mid, fixed)
            judged.append(
                Target(
                    f"scale {MID_SCALE:g}: nightly (1 % delta) ≤ fixed + 10 % x (full - fixed)",
                    limit,
                    mid.nightly.wall_s,
                    "s",
                    mid.nightly.wall_s <= limit,
                    limit_note=f"{fixed:.1f} + 0.1 x ({mid.full.wall_s:.1f} - {fixed:.1f})",
                )
            )

    big = bench.at(BIG_SCALE)
    if big is None:
        not_judged.append(
            f"scale {BIG_SCALE:g} peak RSS, full and nightly (scale {BIG_SCALE:g} not run)"
        )
    else:
        peak = big.full.peak_tree_rss_bytes
        judged.append(
            Target(
                f"scale {BIG_SCALE:g}: peak RSS of the full run's process tree ≤ 4 GB",
                RSS_LIMIT_BYTES,
                peak,
                "GB",
                peak <= RSS_LIMIT_BYTES,
            )
        )
        judged.append(full_target(big))
        if big.nightly is None:
            not_judged.append(f"scale {BIG_SCALE:g} nightly (not run: --no-nightly)")
        else:
            judged.append(
                Target(
                    f"scale {BIG_SCALE:g}: nightly (1 % delta), reported",
                    None,
                    big.nightly.wall_s,
                    "s",
                    None,
                )
            )

    missing = [
        f"{s:g}" for s in LINEARITY_SCALES if (run := bench.at(s)) is None or run.nightly is None
    ]
    name = "linear growth: full and nightly at scales 1, 10, 30, 100 as a table and a plot"
    if missing:
        not_judged.append(f"{name} (full and nightly not measured at scale {', '.join(missing)})")
    else:
        fit, nfit = full_fit(bench), nightly_fit(bench)
        note = f"straight-line fit R²: full {fit.r2:.3f}, nightly {nfit.r2:.3f}"
        judged.append(
            Target(
                name,
                None,
                None,
                "s",
                plotted,
                measured_note=note + ("" if plotted else "; no plot (--plot not given)"),
            )
        )
    return judged, not_judged


# --- report ------------------------------------------------------------------------------


def _mark(ok: bool | None) -> str:
    return "reported" if ok is None else "PASS" if ok else "MISS"


def _amount(value: float | None, unit: str, note: str = "") -> str:
    text = "-" if value is None else f"{value / GB:.2f} GB" if unit == "GB" else f"{value:.1f} s"
    if note:
        text = note if value is None else f"{text} ({note})"
    return text


def machine_table(m: dict[str, str]) -> str:
    rows = ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in m.items()]
    return "\n".join(rows) + "\n"


def summary_table(bench: Benchmark) -> str:
    lines = [
        "| scale | landing rows | landing MB | floor s | full s | nightly s | full ÷ floor "
        "| peak RSS GB (full / nightly) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    runs = [(f"{r.scale:g}", r) for r in bench.scales]
    if bench.fixed is not None and bench.at(bench.fixed.scale) is None:
        runs.insert(0, (f"{bench.fixed.scale:g} (fixed cost)", bench.fixed))
    for label, r in runs:
        nightly = r.nightly
        ratio = f"{r.full.wall_s / r.floor_s:.1f}x" if r.floor_s else "-"
        rss = f"{r.full.peak_tree_rss_bytes / GB:.2f}" + (
            f" / {nightly.peak_tree_rss_bytes / GB:.2f}" if nightly else ""
        )
        lines.append(
            f"| {label} | {r.landing_rows:,} | {r.landing_mb:,.0f} | {r.floor_s:.1f} "
            f"| {r.full.wall_s:.1f} | {f'{nightly.wall_s:.1f}' if nightly else '-'} "
            f"| {ratio} | {rss} |"
        )
    return "\n".join(lines) + "\n"


def targets_table(judged: list[Target], not_judged: list[str]) -> str:
    lines = ["| target (issue 15) | limit | measured | result |", "|---|---:|---:|---|"]
    lines += [
        f"| {t.name} | {_amount(t.limit, t.unit, t.limit_note)} "
        f"| {_amount(t.measured, t.unit, t.measured_note)} | {_mark(t.ok)} |"
        for t in judged
    ]
    text = "\n".join(lines) + "\n"
    if not_judged:
        text += "\nNot judged, the scale was not measured: " + "; ".join(not_judged) + ".\n"
    return text


def linearity_text(bench: Benchmark) -> str:
    """Per scale, the cost above the fixed cost per million landing rows (constant if cost
    grows linearly), and least-squares lines of full and nightly against landing rows."""
    if bench.fixed is None or not bench.scales:
        return ""
    fixed = bench.fixed_s
    lines = [
        "| scale | landing rows | full - fixed, s | per M rows, s | nightly - fixed, s "
        "| per M rows, s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in bench.scales:
        million = r.landing_rows / 1e6
        cells = [f"{r.full.wall_s - fixed:.1f}", f"{(r.full.wall_s - fixed) / million:.1f}"]
        if r.nightly:
            above = r.nightly.wall_s - fixed
            cells += [f"{above:.1f}", f"{above / million:.1f}"]
        else:
            cells += ["-", "-"]
        lines.append(f"| {r.scale:g} | {r.landing_rows:,} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    fits = [("full", full_fit(bench)), ("nightly", nightly_fit(bench))]
    described = [
        f"{name} ≈ {fit.intercept:.1f} s {'+' if fit.slope >= 0 else '-'} "
        f"{abs(fit.slope) * 1e6:.2f} s per million landing rows "
        + (f"(R² = {fit.r2:.4f}, {fit.n} scales)" if fit.n > 2 else "(2 scales: no R²)")
        for name, fit in fits
        if fit
    ]
    if described:
        text += (
            "\nLeast-squares lines through the measured scales: "
            + "; ".join(described)
            + f". The intercept compares with the measured fixed cost, {fixed:.1f} s "
            f"(scale {bench.fixed_scale:g}).\n"
        )
    return text


def scale_section(run: ScaleRun, bench: Benchmark) -> str:
    """Phase table of one scale: full, the shared fixed-cost run and nightly, side by side."""
    floor, full, nightly = run.floor_s, run.full, run.nightly
    fixed_run = bench.fixed.full if bench.fixed else None
    runs = [("full", full)]
    runs += [(f"fixed (scale {bench.fixed_scale:g})", fixed_run)] if fixed_run else []
    runs += [("nightly (1 % delta)", nightly)] if nightly else []

    def ratio(seconds: float) -> str:
        return f"{seconds / floor:.1f}x" if floor else "-"

    def row(label: str, values: list[float], bold: bool = False) -> str:
        cells = [f"**{v:.1f}**" if bold else f"{v:.1f}" for v in values]
        return f"| {label} | " + " | ".join(cells) + f" | {ratio(values[0])} |"

    lines = [
        f"#### Scale {run.scale:g} (seed {bench.seed}, as of {bench.as_of}): "
        f"{run.landing_rows:,} landing rows in {run.landing_files} files, "
        f"{run.landing_mb:.0f} MB"
        + (f"; nightly delta {run.delta_rows:,} rows" if nightly else ""),
        "",
        "| seconds | " + " | ".join(name for name, _ in runs) + " | full ÷ floor |",
        "|---|" + "---:|" * (len(runs) + 1),
        f"| DuckDB floor (`read_csv` of every landing file) | {floor:.1f} |"
        + " |" * (len(runs) - 1)
        + " 1.0x |",
    ]
    lines += [
        row(f"{phase} (Σ step durations)", [r.phases.get(phase, 0.0) for _, r in runs])
        for phase in PHASES
    ]
    lines += [
        row("run (RUN_START → RUN_SUCCESS)", [r.run_s for _, r in runs]),
        row("CLI boot + teardown (wall - run)", [r.boot_s for _, r in runs]),
        row("**materialization (CLI wall)**", [r.wall_s for _, r in runs], bold=True),
        "",
        "Peak RSS of the process tree (sampled every 0.2 s): "
        + ", ".join(f"{name} {r.peak_tree_rss_bytes / GB:.2f} GB" for name, r in runs)
        + "; largest single process (wait4 `ru_maxrss`): "
        + ", ".join(f"{name} {r.max_process_rss_bytes / GB:.2f} GB" for name, r in runs)
        + ". Slowest steps of the full run: "
        + ", ".join(f"`{s}` {d:.1f} s" for s, d in full.slowest_steps)
        + ".",
        "",
        f"Landing data: {run.landing_source}; the generator took {run.generate_s:.1f} s. "
        "Load average (1/5/15 min) before: "
        + "; ".join(
            f"{name} {' / '.join(f'{x:.2f}' for x in load)}" for name, load in run.loads.items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def render(bench: Benchmark, plot_ref: str | None = None) -> str:
    """The markdown of one invocation: machine, summary (and plot), targets, linearity, and
    a phase table per scale."""
    judged, not_judged = targets(bench, plotted=plot_ref is not None)
    fixed = bench.fixed
    intro = f"Seed {bench.seed}, as of {bench.as_of}; one invocation of `run_benchmark.py`."
    if fixed is not None:
        intro += (
            f" Fixed cost = the full run at scale {bench.fixed_scale:g} "
            f"({fixed.landing_rows:,} landing rows): {bench.fixed_s:.1f} s, measured once and "
            "used for every scale's targets."
        )
    parts = [
        "### Machine",
        "",
        machine_table(bench.machine),
        "### Summary",
        "",
        intro,
        "",
        summary_table(bench),
    ]
    if plot_ref:
        parts += [f"![Wall time against landing rows]({plot_ref})", ""]
    parts += ["### Targets", "", targets_table(judged, not_judged)]
    linearity = linearity_text(bench)
    if linearity:
        parts += ["### Linearity", "", linearity]
    parts += ["### Phases per scale", ""]
    parts += [scale_section(run, bench) for run in bench.scales]
    return "\n".join(parts).rstrip() + "\n"


def write_out(path: Path, text: str, append: bool) -> None:
    """Write ``text`` between the BEGIN/END markers of ``path``: replacing what is between
    them, or (``append``) adding to it. A file without the markers is overwritten, or with
    ``append`` gets a marked block at its end."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    match = _BLOCK.search(existing)
    if match:
        inner = match.group(0)[match.group(0).index("-->") + 3 : -len(END)].strip("\n")
        body = f"{inner}\n\n{text.rstrip()}" if append and inner else text.rstrip()
        new = existing[: match.start()] + f"{BEGIN}\n{body}\n{END}" + existing[match.end() :]
    elif append and existing:
        new = existing.rstrip("\n") + f"\n\n{BEGIN}\n{text.rstrip()}\n{END}\n"
    else:
        new = f"{BEGIN}\n{text.rstrip()}\n{END}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


# --- plot --------------------------------------------------------------------------------


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise SystemExit(MATPLOTLIB_MISSING) from exc


def _rows_label(rows: float, _position: object = None) -> str:
    """Tick label of a row count: 0, 500 k, 1.06 M."""
    if rows >= 1e6:
        return f"{rows / 1e6:.3g} M"
    return f"{rows / 1e3:.3g} k" if rows >= 1e3 else f"{rows:.0f}"


def plot(bench: Benchmark, path: Path) -> None:
    """Wall time against landing rows, on linear axes (with the least-squares line of the full
    run) and on log-log axes: full, nightly, DuckDB floor, and the 3 x floor + fixed target."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    runs = sorted(bench.scales, key=lambda r: r.landing_rows)
    rows = [r.landing_rows for r in runs]
    nightly = [r for r in runs if r.nightly]
    fixed_s = bench.fixed_s if bench.fixed else None
    fit = full_fit(bench)

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    for ax, log in zip(axes, (False, True), strict=True):
        ax.plot(rows, [r.full.wall_s for r in runs], "o-", color="C0", label="full run")
        if nightly:
            ax.plot(
                [r.landing_rows for r in nightly],
                [r.nightly.wall_s for r in nightly],
                "s-",
                color="C1",
                label="nightly run (1 % delta)",
            )
        ax.plot(rows, [r.floor_s for r in runs], "^-", color="C2", label="DuckDB floor")
        if fixed_s is not None:
            ax.plot(
                rows,
                [full_limit(r, fixed_s) for r in runs],
                "v--",
                color="C3",
                label="target: 3 x floor + fixed cost",
            )
            ax.axhline(
                fixed_s,
                linestyle=":",
                color="grey",
                label=f"fixed cost (full run at scale {bench.fixed_scale:g}): {fixed_s:.1f} s",
            )
        if fit and not log and len(runs) > 2:
            xs = [0, rows[-1]]
            ax.plot(
                xs,
                [fit.intercept + fit.slope * x for x in xs],
                "-.",
                color="C0",
                linewidth=1,
                alpha=0.6,
                label=f"least-squares line of full runs (R² = {fit.r2:.3f})",
            )
        for i, r in enumerate(runs):
            last = i == len(runs) - 1 and i > 0
            ax.annotate(
                f"scale {r.scale:g}",
                (r.landing_rows, r.full.wall_s),
                textcoords="offset points",
                xytext=(-4 if last else 4, 6),
                ha="right" if last else "left",
                fontsize=8,
            )
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(rows)  # a tick at each measured scale
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.margins(x=0.1)
            ax.set_title("log-log axes", fontsize=10)
        else:
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.set_title("linear axes", fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(_rows_label))
        ax.set_xlabel("landing rows" + (" (log scale)" if log else ""))
        ax.set_ylabel("wall time, seconds" + (" (log scale)" if log else ""))
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    cpu = bench.machine.get("cpu", "?")
    fig.suptitle(
        f"SPM pipeline, dagster asset materialize --select '*' (seed {bench.seed}, as of "
        f"{bench.as_of}; {cpu}, {bench.machine.get('nproc', '?')} CPUs)",
        fontsize=11,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main --------------------------------------------------------------------------------


def fresh_workdir(path: Path) -> Path:
    """Empty ``path``, refusing a non-empty folder this script did not create."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} is not empty and not a benchmark workdir; pick another")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--scale", type=_positive, help="one scale")
    what.add_argument(
        "--scales", type=_positive, nargs="+", help="several scales, e.g. 1 10 30 100"
    )
    what.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: report (and plot) the results.json of an earlier invocation",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 26))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/spm-bench"))
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="generate each scale's landing folder once into this folder "
        "(scale-<N>-seed-<S>-asof-<D>/landing) and hard-link it into the workdir afterwards",
    )
    parser.add_argument(
        "--fixed-scale",
        type=_positive,
        default=0.05,
        help="scale of the near-empty full run that measures the fixed cost, once per "
        "invocation (default 0.05); if the smallest scale is at or below it, that scale's full "
        "run is used instead",
    )
    parser.add_argument("--no-nightly", action="store_true", help="skip the delta-drop runs")
    parser.add_argument(
        "--out",
        type=Path,
        help="markdown file for the report: replaces the part between its "
        "benchmark-results markers, or the whole file if it has none",
    )
    parser.add_argument(
        "--append", action="store_true", help="add to --out (inside its markers) instead"
    )
    parser.add_argument("--plot", type=Path, help="PNG of wall time against rows (matplotlib)")
    args = parser.parse_args(argv)
    if args.scale is not None:
        args.scales = [args.scale]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.plot:
        require_matplotlib()  # before an hour of measuring, not after
    bench = load_results(args.from_json) if args.from_json else run_benchmark(args)

    plot_ref = None
    if args.plot:
        plot(bench, args.plot)
        base = args.out.resolve().parent if args.out else Path.cwd()
        plot_ref = os.path.relpath(args.plot.resolve(), base)
        print(f"plot: {args.plot}", flush=True)
    text = render(bench, plot_ref)
    print()
    print(text)
    if not args.from_json:
        judged, not_judged = targets(bench, plotted=plot_ref is not None)
        derived = {
            "targets": [asdict(t) for t in judged],
            "not_judged": not_judged,
            "full_fit": asdict(fit) if (fit := full_fit(bench)) else None,
            "nightly_fit": asdict(fit) if (fit := nightly_fit(bench)) else None,
        }
        save_results(bench, args.workdir.resolve() / "results.json", derived)
    if args.out:
        write_out(args.out, text, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
