"""One invocation's measurements: the machine, the untimed warm-up, the fixed-cost run and per
scale the landing folder, the DuckDB floor, the full run and the nightly run after a delta."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

from benchmarks.landing import provide_landing, warm
from benchmarks.results import Benchmark, CliRun, ScaleRun, save_results
from benchmarks.runs import duckdb_floor, isolated, run_cli
from ingestion.demo.delta import write_delta_drop
from ingestion.landing import landing_files
from orchestration.lib.dagster.pipeline import pipeline_environment
from spm_common.paths import PROJECT_ROOT

MARKER = ".spm-benchmark"


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


def fresh_workdir(path: Path) -> Path:
    """Empty ``path``, refusing a non-empty folder this benchmark did not create."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"{path} is not empty and not a benchmark workdir; pick another")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def measure_scale(
    root: Path,
    scale: float,
    seed: int,
    as_of: date,
    cache: Path | None,
    nightly: bool,
    nothing_new: bool = False,
) -> ScaleRun:
    """Landing folder, DuckDB floor, full run, (if ``nothing_new``) the two runs after it with
    nothing new, and (if ``nightly``) the 1 % delta run, in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    generate_s, source = provide_landing(landing, scale, seed, as_of, cache)
    print(f"scale {scale:g}: landing {source}, generator {generate_s:.1f} s", flush=True)
    csvs = landing_files(landing)
    warm(csvs)

    loads: dict[str, tuple[float, ...]] = {"floor": os.getloadavg()}
    floor_db = root / "floor.duckdb"
    floor_s, rows = isolated(duckdb_floor, landing, floor_db)
    for path in (floor_db, floor_db.with_name(floor_db.name + ".wal")):
        path.unlink(missing_ok=True)  # a copy of the landing data: only its time matters
    print(f"scale {scale:g}: DuckDB floor {floor_s:.1f} s for {rows:,} rows", flush=True)

    full = _checked(run_cli("full", pipeline_environment(root, as_of), root), root)
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
    if nothing_new:
        env = pipeline_environment(root, as_of)
        run.settle = _checked(run_cli("settle", env, root), root)
        run.warm = _checked(run_cli("warm", env, root), root)
        loads["warm"] = run.warm.load_before
        print(
            f"scale {scale:g}: nothing new, run again {run.settle.wall_s:.1f} s, "
            f"and again (warm) {run.warm.wall_s:.1f} s",
            flush=True,
        )
    if nightly:
        night = as_of + timedelta(days=1)
        run.delta_rows = isolated(write_delta_drop, landing, night, seed)
        run.nightly = _checked(run_cli("nightly", pipeline_environment(root, night), root), root)
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
            command,
            cwd=PROJECT_ROOT,
            env=pipeline_environment(root, as_of),
            stdout=log,
            stderr=log,
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
            nothing_new=True,
        )
        print(f"fixed cost (scale {args.fixed_scale:g}) {bench.fixed_s:.1f} s", flush=True)
        save()
    for scale in scales:
        at_fixed = bench.fixed is None and scale <= args.fixed_scale
        run = measure_scale(
            work / f"scale-{scale:g}",
            scale,
            args.seed,
            args.as_of,
            cache,
            not args.no_nightly,
            nothing_new=at_fixed,
        )
        bench.scales.append(run)
        if bench.fixed is None:  # the smallest scale is at or below --fixed-scale
            bench.fixed, bench.fixed_scale = run, scale
        save()
    return bench
