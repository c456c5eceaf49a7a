"""The markdown report of an invocation, and writing it between the markers of a file."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.results import GB, PHASES, Benchmark, CliRun, ScaleRun
from benchmarks.targets import Target, full_fit, nightly_fit, targets

# The part of docs/benchmarks.md (or any --out file) the benchmark owns.
BEGIN = "<!-- benchmark-results:begin (written by python -m benchmarks) -->"
END = "<!-- benchmark-results:end -->"
_BLOCK = re.compile(r"<!-- benchmark-results:begin[^>]*-->.*?<!-- benchmark-results:end -->", re.S)


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
    lines = ["| target (issue 25) | limit | measured | result |", "|---|---:|---:|---|"]
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


def _harness(run: CliRun) -> str:
    return f" ({run.harness_hwm_bytes / GB:.2f} GB)" if run.harness_hwm_bytes else ""


def _process_peaks(run: CliRun) -> str:
    if not run.process_peaks:
        return "not sampled"
    return ", ".join(f"`{name}` {peak / GB:.2f} GB" for name, peak in run.process_peaks)


def scale_section(run: ScaleRun, bench: Benchmark) -> str:
    """Phase table of one scale: full, the shared fixed-cost run and nightly, side by side."""
    floor, full, nightly = run.floor_s, run.full, run.nightly
    fixed_run = bench.fixed.full if bench.fixed else None
    warm_run = bench.fixed.warm if bench.fixed else None
    runs = [("full", full)]
    runs += [(f"fixed (scale {bench.fixed_scale:g})", fixed_run)] if fixed_run else []
    runs += [(f"warm (scale {bench.fixed_scale:g}, nothing new)", warm_run)] if warm_run else []
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
        "Peak RSS of the process tree (the sum over its processes, sampled every 0.05 s): "
        + ", ".join(f"{name} {r.peak_tree_rss_bytes / GB:.2f} GB" for name, r in runs)
        + "; largest processes by their own high-water mark (`VmHWM`): "
        + "; ".join(f"{name} {_process_peaks(r)}" for name, r in runs)
        + "; `wait4`'s `ru_maxrss` (the largest process of the tree; a forked child starts "
        "with the benchmark process's own high-water mark, which its exec keeps, so it is at "
        "least that mark at the fork, given in brackets): "
        + ", ".join(
            f"{name} {r.max_process_rss_bytes / GB:.2f} GB{_harness(r)}" for name, r in runs
        )
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
    intro = f"Seed {bench.seed}, as of {bench.as_of}; one invocation of `python -m benchmarks`."
    if fixed is not None:
        intro += (
            f" Cold fixed cost = the full run at scale {bench.fixed_scale:g} "
            f"({fixed.landing_rows:,} landing rows) in a new folder: {bench.fixed_s:.1f} s, "
            "measured once (the linearity table subtracts it)."
        )
    if fixed is not None and fixed.warm is not None and fixed.settle is not None:
        intro += (
            f" Warm fixed cost = the same command again in the same folder with nothing new: "
            f"{fixed.warm.wall_s:.1f} s (the run between them took {fixed.settle.wall_s:.1f} s: "
            "the first run locks the quarters that close into the payout ledger, a dbt input, "
            "so the next run builds once more)."
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
