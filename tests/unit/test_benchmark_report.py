"""The benchmarks package without running the pipeline: targets, fit, report, JSON, cache.

Fake numbers only; the plot test is skipped where matplotlib (the ``bench`` extra) is missing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date

import pytest

from benchmarks.cli import main
from benchmarks.landing import provide_landing
from benchmarks.plot import plot
from benchmarks.report import BEGIN, END, render, write_out
from benchmarks.results import GB, Benchmark, CliRun, ScaleRun, load_results, save_results
from benchmarks.runs import TreeRssSampler, _memory, _phase
from benchmarks.targets import linear_fit, targets
from spm_common.paths import PROJECT_ROOT


def cli(wall: float, peak_gb: float = 1.0, label: str = "full") -> CliRun:
    return CliRun(
        label=label,
        wall_s=wall,
        returncode=0,
        max_process_rss_bytes=int(peak_gb * 0.8 * GB),
        peak_tree_rss_bytes=int(peak_gb * GB),
        load_before=(1.0, 1.0, 1.0),
        run_s=wall - 8,
        phases={"ingestion": 2.0, "dbt build": wall - 20, "GX checks": 7.0},
        slowest_steps=[("spm_dbt_models", wall - 20), ("raw__salesforce__task", 1.0)],
        process_peaks=[("python -m", int(peak_gb * 0.7 * GB)), ("dbt build", int(0.2 * GB))],
        harness_hwm_bytes=int(0.3 * GB),
    )


def scale_run(scale: float, floor: float, full: float, nightly: float | None, peak_gb=1.0):
    return ScaleRun(
        scale=scale,
        landing_rows=int(scale * 100_000),
        landing_files=40,
        landing_mb=scale * 25,
        floor_s=floor,
        full=cli(full, peak_gb),
        nightly=cli(nightly, peak_gb, "nightly") if nightly is not None else None,
        delta_rows=int(scale * 1_000),
        loads={"floor": (1.0, 1.0, 1.0), "full": (1.2, 1.0, 1.0)},
    )


def bench(*runs: ScaleRun, fixed: float = 14.0, warm: float | None = 10.0) -> Benchmark:
    fixed_run = scale_run(0.05, 0.3, fixed, None)
    if warm is not None:
        fixed_run.settle = cli(warm + 5, label="settle")
        fixed_run.warm = cli(warm, label="warm")
    return Benchmark(
        seed=42,
        as_of="2026-11-26",
        fixed_scale=0.05,
        fixed=fixed_run,
        scales=list(runs),
        machine={"cpu": "test", "nproc": "2"},
    )


def four_scales(**big) -> Benchmark:
    # full = 14 s fixed + 10 s per million rows, nightly = 14 s + 1 s per million rows
    return bench(
        *(
            scale_run(s, 0.1 * s, 14 + s, 14 + 0.1 * s, **(big if s == 100 else {}))
            for s in (1, 10, 30, 100)
        )
    )


@pytest.mark.parametrize(
    ("step", "phase"),
    [
        ("publish", "publish"),
        ("spm_dbt_models", "dbt build"),
        ("raw__salesforce__task_great_expectations", "GX checks"),
        ("raw_great_expectations", "GX checks"),
        ("great_expectations_raw_checks", "GX checks"),
        ("raw__salesforce__task", "ingestion"),
        ("raw__salesforce__task_reject_rate", "other checks"),
        ("commission_statements", "statements"),
    ],
)
def test_phase_of_a_step(step, phase):
    steps = {"raw__salesforce__task", "raw__salesforce__task_reject_rate", step}
    assert _phase(step, steps) == phase


def test_linear_fit():
    fit = linear_fit([1, 2, 3, 4], [5, 7, 9, 11])
    assert (fit.intercept, fit.slope, fit.r2, fit.n) == pytest.approx((3, 2, 1, 4))
    noisy = linear_fit([1, 2, 3, 4], [5, 8, 8, 11])
    assert 0.8 < noisy.r2 < 1
    assert linear_fit([1], [2]) is None
    assert linear_fit([3, 3], [1, 2]) is None


def test_targets_all_four_scales():
    judged, not_judged = targets(four_scales(), plotted=True)
    assert not_judged == []
    cold, warm, full10, nightly10, rss100, full100, nightly100, linear = judged
    assert cold.name.startswith("cold fixed cost") and cold.ok is None and cold.measured == 14.0
    # warm 10 s against 6 x the scale-10 floor (1.0 s)
    assert (warm.limit, warm.measured, warm.ok) == (pytest.approx(6.0), 10.0, False)
    # scale 10: full 24 s against 5 x 1 + 10 = 15 s
    assert (full10.limit, full10.measured, full10.ok) == (pytest.approx(15.0), 24.0, False)
    # nightly 15 s against 10 + 0.15 x (24 - 10) = 12.1 s
    assert (nightly10.limit, nightly10.ok) == (pytest.approx(12.1), False)
    assert rss100.limit == 3 * GB and rss100.ok is True
    # scale 100: full 114 s against 5 x 10 + 10 = 60 s; nightly 24 s against 10 + 0.15 x 104
    assert (full100.limit, full100.ok) == (pytest.approx(60.0), False)
    assert (nightly100.limit, nightly100.ok) == (pytest.approx(25.6), True)
    assert linear.ok is True
    assert "full 1.000, nightly 1.000" in linear.measured_note


def test_targets_limits():
    b = bench(scale_run(10, 2.0, 19.0, 14.4), scale_run(100, 20.0, 80.0, 20.0, peak_gb=4.5))
    judged, not_judged = targets(b, plotted=False)
    _, warm, full10, nightly10, rss, full100, nightly100 = judged
    assert warm.limit == pytest.approx(6 * 2.0) and warm.ok is True
    assert full10.limit == pytest.approx(5 * 2 + 10) and full10.ok is True
    assert nightly10.limit == pytest.approx(10 + 0.15 * 9) and nightly10.ok is False
    assert rss.limit == 3 * GB and rss.ok is False
    assert full100.limit == pytest.approx(110) and full100.ok is True
    assert nightly100.limit == pytest.approx(20.5) and nightly100.ok is True
    assert not_judged == [
        "linear growth: full and nightly at scales 1, 10, 30, 100 as a table and a plot "
        "(full and nightly not measured at scale 1, 30)"
    ]


def test_without_a_warm_run_only_the_cold_cost_is_reported():
    b = bench(scale_run(10, 2.0, 19.0, 14.4), warm=None)
    judged, not_judged = targets(b, plotted=False)
    assert [t.ok for t in judged] == [None]
    assert "every target against the warm fixed cost (no run with nothing new)" in not_judged


def test_linearity_needs_a_plot():
    judged, _ = targets(four_scales(), plotted=False)
    assert judged[-1].ok is False


def test_quick_check_scales_render_without_targets_of_absent_scales():
    b = bench(scale_run(0.2, 0.2, 15.0, 14.5), scale_run(0.5, 0.3, 16.0, 14.8))
    judged, not_judged = targets(b, plotted=True)
    assert [t.name for t in judged] == [
        "cold fixed cost (the first full run at scale 0.05), reported"
    ]
    assert len(not_judged) == 4
    text = render(b, "img/plot.png")
    assert "| 0.05 (fixed cost) | 5,000 |" in text
    assert "| 0.2 | 20,000 | 5 | 0.2 | 15.0 | 14.5 | 75.0x | 1.00 / 1.00 |" in text
    assert "![Wall time against landing rows](img/plot.png)" in text
    assert "#### Scale 0.5 (seed 42, as of 2026-11-26)" in text
    assert (
        "Not judged, the scale was not measured: the warm fixed cost against the scale-10" in text
    )
    assert "scale 10:" not in text


def test_render_four_scales():
    text = render(four_scales(), "benchmark.png")
    for s in ("1", "10", "30", "100"):
        assert f"#### Scale {s} (" in text
    assert (
        "| scale 10: full ≤ 5 x floor + warm fixed cost | 15.0 s (5 x 1.0 + 10.0) | 24.0 s | MISS |"
        in (text)
    )
    assert "| fixed (scale 0.05) | warm (scale 0.05, nothing new) | nightly (1 % delta) |" in text
    assert (
        "Warm fixed cost = the same command again in the same folder with nothing new: 10.0 s"
        in text
    )
    assert "full ≈ 14.0 s + 10.00 s per million landing rows (R² = 1.0000, 4 scales)" in text
    assert "| 100 | 10,000,000 | 100.0 | 10.0 | 10.0 | 1.0 |" in text  # linearity table
    assert "(`VmHWM`): full `python -m` 0.70 GB, `dbt build` 0.20 GB;" in text
    assert "given in brackets): full 0.80 GB (0.30 GB), fixed (scale 0.05)" in text
    assert "Not judged" not in text


def test_results_json_round_trip(tmp_path):
    b = four_scales()
    path = tmp_path / "results.json"
    save_results(b, path, derived={"targets": []})
    assert json.loads(path.read_text())["derived"] == {"targets": []}
    again = load_results(path)
    assert again == b
    assert render(again) == render(b)


def test_the_sampler_keeps_a_process_peak_that_fell_between_samples():
    """A grandchild that allocates and frees 200 MB, most likely between two samples of the
    tree: its own high-water mark keeps the peak while it lives."""
    code = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', "
        "'import time; b = bytes(200 << 20) + b\\'x\\'; del b; time.sleep(1.0)']); "
        "child.wait()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = TreeRssSampler(proc.pid, interval=0.4)
    sampler.start()
    proc.wait()
    sampler.stop()
    peaks = dict(sampler.largest())
    assert max(peaks.values()) >= 200 << 20, peaks


def test_a_forked_child_inherits_the_harness_high_water_mark():
    """Why the report gives the harness's high-water mark beside ``ru_maxrss``: a benchmark
    process that once held 200 MB, and no longer does, starts a near-empty child, whose
    ``ru_maxrss`` then reads at least 200 MB (the peak is copied at fork, kept by exec)."""
    rss_before = _memory(os.getpid())[0]
    block = bytes(200 << 20) + b"x"
    del block
    rss, hwm, _ = _memory(os.getpid())
    assert hwm >= rss_before + (190 << 20) > rss + (90 << 20)  # the peak, no longer held
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    _, _, usage = os.wait4(child.pid, 0)
    assert usage.ru_maxrss * 1024 >= 0.9 * hwm


# Run in a fresh interpreter, whose high-water mark no earlier test has raised: 300 MB allocated
# through ``isolated``, then in the process itself (the control); the peak after each. (Copied
# bytes: ``bytes(n)`` alone is zero pages that are never touched.)
ISOLATION_PROBE = """
import os
from benchmarks.runs import _memory, isolated
rss = _memory(os.getpid())[0]
size = isolated(eval, "len(bytes(300 << 20) + b'x')")
after_isolated = _memory(os.getpid())[1]
eval("len(bytes(300 << 20) + b'x')")
print(rss, size, after_isolated, _memory(os.getpid())[1])
"""


def test_isolated_work_leaves_the_harness_high_water_mark_alone():
    probe = subprocess.run(
        [sys.executable, "-c", ISOLATION_PROBE],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rss, size, after_isolated, after_in_process = map(int, probe.stdout.split())
    assert size == (300 << 20) + 1
    assert after_isolated < rss + (150 << 20)
    assert after_in_process >= rss + (290 << 20)


def test_write_out_replaces_or_appends_inside_markers(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n## Results\n\n{BEGIN}\nold\n{END}\n\n## Reading\n")
    write_out(doc, "new", append=False)
    assert doc.read_text() == f"# Benchmarks\n\n## Results\n\n{BEGIN}\nnew\n{END}\n\n## Reading\n"
    write_out(doc, "more", append=True)
    assert f"{BEGIN}\nnew\n\nmore\n{END}\n\n## Reading\n" in doc.read_text()
    plain = tmp_path / "plain.md"
    write_out(plain, "only", append=False)
    assert plain.read_text() == f"{BEGIN}\nonly\n{END}\n"


def test_main_refuses_a_plot_without_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit, match="make install-bench"):
        main(["--scales", "0.1", "--workdir", str(tmp_path), "--plot", "x.png"])
    assert not any(tmp_path.iterdir())  # refused before measuring anything


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "img" / "scaling.png"
    plot(four_scales(), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_landing_cache_generates_once_and_hard_links(monkeypatch, tmp_path):
    calls = []

    def fake_generate(out_dir, *, scale, seed, as_of):
        calls.append(scale)
        (out_dir / "salesforce" / "task").mkdir(parents=True)
        (out_dir / "salesforce" / "task" / "Task_1.csv").write_text("Id\n1\n")
        (out_dir / "hris.csv").write_text("x\n")
        return {"salesforce/task": 1}

    monkeypatch.setattr("benchmarks.landing.generate", fake_generate)
    cache, as_of = tmp_path / "cache", date(2026, 11, 26)

    first = tmp_path / "w1" / "landing"
    seconds, source = provide_landing(first, 2.0, 42, as_of, cache)
    assert calls == [2.0] and "2 files hard-linked" in source
    entry = cache / "scale-2-seed-42-asof-2026-11-26"
    cached = entry / "landing" / "salesforce" / "task" / "Task_1.csv"
    linked = first / "salesforce" / "task" / "Task_1.csv"
    assert linked.stat().st_ino == cached.stat().st_ino

    second = tmp_path / "w2" / "landing"
    provide_landing(second, 2.0, 42, as_of, cache)
    assert calls == [2.0]  # from the cache
    assert math.isclose(json.loads((entry / "manifest.json").read_text())["generate_s"], seconds)

    # A cached file changed in place (through any of its links): generated again.
    cached.chmod(0o644)
    cached.write_text("Id\n2\n")
    provide_landing(tmp_path / "w3" / "landing", 2.0, 42, as_of, cache)
    assert calls == [2.0, 2.0]
    assert (tmp_path / "w3" / "landing" / "salesforce" / "task" / "Task_1.csv").read_text() == (
        "Id\n1\n"
    )

    # Other generator code: generated again.
    monkeypatch.setattr("benchmarks.landing.generator_fingerprint", lambda: "other")
    provide_landing(tmp_path / "w4" / "landing", 2.0, 42, as_of, cache)
    assert calls == [2.0, 2.0, 2.0]


def test_a_scale_at_the_fixed_scale_is_the_fixed_run(tmp_path):
    small = scale_run(0.05, 0.3, 14.0, 14.2)
    b = bench(small, scale_run(1, 0.6, 16.0, 15.0))
    b.fixed = small
    path = tmp_path / "results.json"
    save_results(b, path)
    text = render(load_results(path))
    assert "(fixed cost)" not in text
    assert text.count("| 0.05 | 5,000 |") == 2  # summary and linearity tables, once each
