"""The targets of issue 15 that an invocation's scales can judge, and straight-line fits of
wall time against landing rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.results import GB, Benchmark, ScaleRun

# The targets of issue 15.
FIXED_LIMIT_S = 15.0  # the fixed cost (the full run at scale 0.05)
FLOOR_FACTOR = 3  # full run <= 3 x DuckDB floor + fixed cost
NIGHTLY_SHARE = 0.10  # nightly <= fixed cost + 10 % of (full - fixed cost)
RSS_LIMIT_BYTES = 4 * GB  # peak RSS of the full run's process tree at scale 100
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
