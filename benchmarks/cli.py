"""Arguments and ``main``: measure (or read an earlier ``results.json``), report, plot."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from datetime import date
from pathlib import Path

import benchmarks
from benchmarks.measure import run_benchmark
from benchmarks.plot import plot, require_matplotlib
from benchmarks.report import render, write_out
from benchmarks.results import load_results, save_results
from benchmarks.targets import full_fit, nightly_fit, targets


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=benchmarks.__doc__.split("\n")[0]
    )
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
