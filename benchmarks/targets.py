"""The targets of issue 25 that an invocation's scales can judge, and straight-line fits of
wall time against landing rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.results import GB, Benchmark, ScaleRun

# The targets of issue 25 ("warm" = the warm fixed cost: a run with nothing new at scale 0.05).
WARM_FLOOR_FACTOR = 6  # warm fixed cost <= 6 x the scale-10 floor
FLOOR_FACTOR = 5  # full run <= 5 x DuckDB floor + warm fixed cost
NIGHTLY_SHARE = 0.15  # nightly <= warm + 15 % of (full - warm)
RSS_LIMIT_BYTES = 3 * GB  # peak RSS of the full run's process tree at scale 100
MID_SCALE, BIG_SCALE = 10.0, 100.0
LINEARITY_SCALES = (1.0, 10.0, 30.0, 100.0)


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


def full_limit(run: ScaleRun, warm_s: float) -> float:
    return FLOOR_FACTOR * run.floor_s + warm_s


def nightly_limit(run: ScaleRun, warm_s: float) -> float:
    return warm_s + NIGHTLY_SHARE * (run.full.wall_s - warm_s)


def _within(name: str, limit: float, measured: float, note: str) -> Target:
    """A time target: ``measured`` seconds against ``limit`` (``note``: how it is made)."""
    return Target(name, limit, measured, "s", measured <= limit, limit_note=note)


def _scale_targets(run: ScaleRun, warm: float) -> list[Target]:
    """Full and nightly of one scale against the warm fixed cost."""
    judged = [
        _within(
            f"scale {run.scale:g}: full ≤ {FLOOR_FACTOR} x floor + warm fixed cost",
            full_limit(run, warm),
            run.full.wall_s,
            f"{FLOOR_FACTOR} x {run.floor_s:.1f} + {warm:.1f}",
        )
    ]
    if run.nightly is not None:
        judged.append(
            _within(
                f"scale {run.scale:g}: nightly (1 % delta) ≤ warm + "
                f"{NIGHTLY_SHARE:.0%} x (full - warm)",
                nightly_limit(run, warm),
                run.nightly.wall_s,
                f"{warm:.1f} + {NIGHTLY_SHARE:g} x ({run.full.wall_s:.1f} - {warm:.1f})",
            )
        )
    return judged


def targets(bench: Benchmark, plotted: bool) -> tuple[list[Target], list[str]]:
    """The issue's targets that this invocation's scales can judge, and those it cannot."""
    judged: list[Target] = []
    not_judged: list[str] = []
    if bench.fixed is None:
        return judged, ["every target: no fixed-cost run"]
    other = "" if math.isclose(bench.fixed_scale, 0.05) else ", not the issue's 0.05"
    judged.append(
        Target(
            f"cold fixed cost (the first full run at scale {bench.fixed_scale:g}{other}), reported",
            None,
            bench.fixed_s,
            "s",
            None,
        )
    )
    warm = bench.warm_s
    mid, big = bench.at(MID_SCALE), bench.at(BIG_SCALE)
    if warm is None:
        not_judged.append("every target against the warm fixed cost (no run with nothing new)")
    elif mid is None:
        not_judged.append(f"the warm fixed cost against the scale-{MID_SCALE:g} floor")
    else:
        judged.append(
            _within(
                f"warm fixed cost (a run with nothing new at scale {bench.fixed_scale:g}{other}) "
                f"≤ {WARM_FLOOR_FACTOR} x scale-{MID_SCALE:g} floor",
                WARM_FLOOR_FACTOR * mid.floor_s,
                warm,
                f"{WARM_FLOOR_FACTOR} x {mid.floor_s:.1f}",
            )
        )
    for scale, run in ((MID_SCALE, mid), (BIG_SCALE, big)):
        if run is None:
            not_judged.append(f"scale {scale:g} (not run)")
            continue
        if scale == BIG_SCALE:
            peak = run.full.peak_tree_rss_bytes
            judged.append(
                Target(
                    f"scale {scale:g}: peak RSS of the full run's process tree ≤ "
                    f"{RSS_LIMIT_BYTES / GB:g} GB",
                    RSS_LIMIT_BYTES,
                    peak,
                    "GB",
                    peak <= RSS_LIMIT_BYTES,
                )
            )
        if warm is not None:
            judged += _scale_targets(run, warm)
        if run.nightly is None:
            not_judged.append(f"scale {scale:g} nightly (not run: --no-nightly)")

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
