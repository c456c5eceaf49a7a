"""Benchmark the pipeline at one or more scales: DuckDB floor, full materialization, nightly run.

    python -m benchmarks --scales 1 10 30 100 [--seed 42] [--as-of 2026-11-26]
        [--workdir /tmp/spm-bench] [--cache-dir data/bench-cache] [--fixed-scale 0.05]
        [--no-nightly] [--out docs/benchmarks.md [--append]]
        [--plot docs/img/benchmark_scaling.png]
    python -m benchmarks --scale 10 ...          # one scale, same report
    python -m benchmarks --from-json /tmp/spm-bench/results.json --out ... --plot ...

Run from the repository root. Everything is written under ``--workdir`` (emptied first): per
scale a folder with the landing files, the working and BI databases and the Dagster instance,
plus ``results.json`` with every raw number. The fixed-cost run (a full run at
``--fixed-scale``) is measured once and serves every scale's targets. The pipeline runs through
the real CLI, exactly as ``make run`` does (``orchestration/lib/dagster/pipeline.py``);
per-phase times come from the run's step events in that Dagster instance. With ``--cache-dir``
the demo landing folder of each (scale, seed, as-of) is generated once and hard-linked into the
work folder afterwards. See ``docs/benchmarks.md`` for what each number means and the measured
results.

Modules: ``results`` (what is measured, as JSON), ``landing`` (landing folders and their
cache), ``runs`` (one CLI run, its memory and step events; the DuckDB floor), ``measure`` (an
invocation's runs), ``targets`` (issue 15's targets, straight-line fits), ``report``
(markdown), ``plot`` (matplotlib) and ``cli`` (arguments, ``main``).
"""
