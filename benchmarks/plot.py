"""The plot of wall time against landing rows (matplotlib, the ``bench`` extra)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.results import Benchmark
from benchmarks.targets import FLOOR_FACTOR, full_fit, full_limit

MATPLOTLIB_MISSING = (
    "--plot needs matplotlib, which the default install leaves out: run `make install-bench` "
    "(or `.venv/bin/uv pip install -r requirements-bench.lock`)"
)


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
    run) and on log-log axes: full, nightly, DuckDB floor, and the 5 x floor + warm target."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    runs = sorted(bench.scales, key=lambda r: r.landing_rows)
    rows = [r.landing_rows for r in runs]
    nightly = [r for r in runs if r.nightly]
    fixed_s = bench.fixed_s if bench.fixed else None
    warm_s = bench.warm_s
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
        if warm_s is not None:
            ax.plot(
                rows,
                [full_limit(r, warm_s) for r in runs],
                "v--",
                color="C3",
                label=f"target: {FLOOR_FACTOR} x floor + warm fixed cost",
            )
        if fixed_s is not None:
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
