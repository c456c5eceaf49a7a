"""Benchmark the pipeline at one scale: DuckDB floor, full materialization, nightly delta run.

    python benchmarks/run_benchmark.py --scale 10 [--seed 42] [--as-of 2026-11-26]
        [--workdir /tmp/spm-bench] [--out docs/benchmarks.md [--append]]

Everything is written under ``--workdir`` (emptied first): the demo landing folder, the working
and BI databases, the Dagster instance. The pipeline runs through the real CLI, exactly as
``make run`` does; per-phase times come from the run's step events in that Dagster instance.
See ``docs/benchmarks.md`` for what each number means and the measured results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
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
PHASES = ("ingestion", "dbt build", "GX checks", "other checks", "publish")


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
    _read_run_events(result, Path(env["DAGSTER_HOME"]))
    return result


def _phase(step: str, steps: set[str]) -> str:
    if step == "publish":
        return "publish"
    if "dbt" in step:
        return "dbt build"
    if step.endswith("_great_expectations"):
        return "GX checks"
    # An asset check's step key is its asset's step key plus "_<check name>".
    if step.startswith("raw__") and not any(step.startswith(f"{s}_") for s in steps - {step}):
        return "ingestion"
    return "other checks"


def _read_run_events(result: CliRun, home: Path) -> None:
    """Step durations from the STEP_START / STEP_SUCCESS|FAILURE events of the latest run."""
    import dagster as dg
    from dagster import DagsterEventType as T

    with dg.DagsterInstance.from_config(str(home)) as instance:
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


# --- report ------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(r: dict) -> str:
    floor, full, nightly, fixed_run = r["floor_s"], r["full"], r.get("nightly"), r["fixed"]
    fixed = fixed_run.wall_s
    runs = [("full", full), (f"fixed (scale {r['fixed_scale']:g})", fixed_run)]
    runs += [("nightly (1 % delta)", nightly)] if nightly else []

    def ratio(seconds: float) -> str:
        return f"{seconds / floor:.1f}x" if floor else "-"

    def row(label: str, values: list[float], bold: bool = False) -> str:
        cells = [f"**{v:.1f}**" if bold else f"{v:.1f}" for v in values]
        return f"| {label} | " + " | ".join(cells) + f" | {ratio(values[0])} |"

    lines = [
        f"### Scale {r['scale']:g} (seed {r['seed']}, as of {r['as_of']}): "
        f"{r['landing_rows']:,} landing rows in {r['landing_files']} files, "
        f"{r['landing_mb']:.0f} MB"
        + (f"; nightly delta {r['delta_rows']:,} rows" if nightly else ""),
        "",
        "| seconds | " + " | ".join(name for name, _ in runs) + " | full ÷ floor |",
        "|---|" + "---:|" * (len(runs) + 1),
        f"| DuckDB floor (`read_csv` of every landing file) | {floor:.1f} |"
        + " |" * (len(runs) - 1)
        + " 1.0x |",
    ]
    lines += [
        row(f"{phase} (Σ step durations)", [run.phases.get(phase, 0.0) for _, run in runs])
        for phase in PHASES
    ]
    lines += [
        row("run (RUN_START → RUN_SUCCESS)", [run.run_s for _, run in runs]),
        row("CLI boot + teardown (wall - run)", [run.boot_s for _, run in runs]),
        row("**materialization (CLI wall)**", [run.wall_s for _, run in runs], bold=True),
    ]
    strict = 3 * floor + full.boot_s
    lenient = 3 * floor + fixed
    peak = max(full.peak_tree_rss_bytes, nightly.peak_tree_rss_bytes if nightly else 0)
    lines += [
        "",
        "| target | limit | measured | result |",
        "|---|---:|---:|---|",
        f"| full ≤ 3 x floor + CLI boot | {strict:.1f} s | {full.wall_s:.1f} s | "
        f"{_mark(full.wall_s <= strict)} |",
        f"| full ≤ 3 x floor + fixed cost (scale {r['fixed_scale']:g} run) | {lenient:.1f} s | "
        f"{full.wall_s:.1f} s | {_mark(full.wall_s <= lenient)} |",
    ]
    if nightly:
        share = nightly.wall_s / full.wall_s
        lines.append(
            f"| nightly (1 % delta) ≤ 10 % of full | {0.1 * full.wall_s:.1f} s | "
            f"{nightly.wall_s:.1f} s ({share:.0%} of full) | {_mark(share <= 0.1)} |"
        )
        above = (nightly.wall_s - fixed) / (full.wall_s - fixed) if full.wall_s > fixed else 0
        lines.append(
            "| for reference: nightly's cost above the fixed cost, share of full's | - | "
            f"{nightly.wall_s - fixed:.1f} s of {full.wall_s - fixed:.1f} s ({above:.0%}) | - |"
        )
    lines += [
        f"| peak RSS, whole process tree (sampled every 0.2 s) < 2 GB | 2.00 GB | "
        f"{peak / GB:.2f} GB | {_mark(peak < 2 * GB)} |",
        "",
        f"Largest single process (wait4 `ru_maxrss`): {full.max_process_rss_bytes / GB:.2f} GB. "
        "Slowest steps of the full run: "
        + ", ".join(f"`{s}` {d:.1f} s" for s, d in full.slowest_steps)
        + ".",
        "",
        "Load average (1/5/15 min) before: "
        + "; ".join(
            f"{name} {' / '.join(f'{x:.2f}' for x in load)}" for name, load in r["loads"].items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def machine_table(m: dict[str, str]) -> str:
    rows = ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in m.items()]
    return "\n".join(rows) + "\n"


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


def full_pipeline(root: Path, scale: float, seed: int, as_of: date, label: str) -> CliRun:
    generate(root / "landing", scale=scale, seed=seed, as_of=as_of)
    result = run_cli(label, pipeline_env(root, as_of), root)
    if result.returncode != 0:
        raise SystemExit(f"{label} run failed; see {root}/{label}.stderr.log")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 26))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/spm-bench"))
    parser.add_argument(
        "--fixed-scale",
        type=float,
        default=0.05,
        help="scale of the near-empty run that measures the fixed cost (default 0.05); "
        "at or below it the full run itself is used",
    )
    parser.add_argument("--no-nightly", action="store_true", help="skip the delta-drop run")
    parser.add_argument("--out", type=Path, help="markdown file to write the table to")
    parser.add_argument("--append", action="store_true", help="append to --out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = fresh_workdir(args.workdir.resolve())
    root = work / "full"
    loads: dict[str, tuple[float, ...]] = {}

    t = time.perf_counter()
    generate(root / "landing", scale=args.scale, seed=args.seed, as_of=args.as_of)
    print(f"generated scale {args.scale:g} in {time.perf_counter() - t:.1f} s", flush=True)
    csvs = list((root / "landing").rglob("*.csv"))

    loads["floor"] = os.getloadavg()
    floor_s, rows = duckdb_floor(root / "landing", work / "floor.duckdb")
    print(f"DuckDB floor {floor_s:.1f} s for {rows:,} rows", flush=True)

    env = pipeline_env(root, args.as_of)
    full = run_cli("full", env, work)
    loads["full"] = full.load_before
    if full.returncode != 0:
        raise SystemExit(f"full run failed; see {work}/full.stderr.log")
    print(f"full materialization {full.wall_s:.1f} s", flush=True)

    if args.scale <= args.fixed_scale:
        fixed_run, fixed_scale = full, args.scale
    else:
        fixed_run = full_pipeline(work / "fixed", args.fixed_scale, args.seed, args.as_of, "fixed")
        loads["fixed"] = fixed_run.load_before
        fixed_scale = args.fixed_scale
        print(f"fixed cost (scale {fixed_scale:g}) {fixed_run.wall_s:.1f} s", flush=True)

    nightly, delta_rows = None, 0
    if not args.no_nightly:
        night = args.as_of + timedelta(days=1)
        delta_rows = write_delta_drop(root / "landing", night, args.seed)
        nightly = run_cli("nightly", pipeline_env(root, night), work)
        loads["nightly"] = nightly.load_before
        if nightly.returncode != 0:
            raise SystemExit(f"nightly run failed; see {work}/nightly.stderr.log")
        print(f"nightly run {nightly.wall_s:.1f} s", flush=True)

    results = {
        "scale": args.scale,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "landing_rows": rows,
        "landing_files": len(csvs),
        "landing_mb": sum(p.stat().st_size for p in csvs) / 1024**2,
        "floor_s": floor_s,
        "full": full,
        "fixed": fixed_run,
        "fixed_scale": fixed_scale,
        "nightly": nightly,
        "delta_rows": delta_rows,
        "loads": loads,
        "machine": machine(),
    }
    text = report(results)
    print()
    print(machine_table(results["machine"]))
    print(text)
    (work / "results.json").write_text(
        json.dumps(
            {
                **results,
                "full": asdict(full),
                "fixed": asdict(fixed_run),
                "nightly": asdict(nightly) if nightly else None,
            },
            indent=2,
            default=str,
        )
    )
    if args.out:
        with open(args.out, "a" if args.append else "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
