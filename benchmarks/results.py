"""What one invocation measured: a CLI run, a scale, the whole benchmark, and its JSON file."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

GB = 1024**3
PHASES = ("ingestion", "dbt build", "GX checks", "other checks", "publish", "statements")


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
    # The largest processes of the tree by their kernel high-water mark (VmHWM): (name, bytes).
    process_peaks: list[tuple[str, int]] = field(default_factory=list)
    # The benchmark process's own high-water mark (VmHWM) when it started the CLI: Linux copies
    # a process's memory descriptor at fork, its peak included, and exec keeps that peak as the
    # new program's maximum, so wait4's ru_maxrss is at least this (0: not recorded).
    harness_hwm_bytes: int = 0

    @property
    def boot_s(self) -> float:
        """CLI wall time outside the run: interpreter, imports, loading definitions, teardown."""
        return self.wall_s - self.run_s


@dataclass
class ScaleRun:
    """One scale: its landing folder, the DuckDB floor, the full run and the nightly run; at
    the fixed-cost scale also the runs after the full one with nothing new: ``settle`` (the
    first, which builds again if the full run locked quarters into the payout ledger) and
    ``warm`` (the one after it: the fixed cost a night with nothing new pays)."""

    scale: float
    landing_rows: int
    landing_files: int
    landing_mb: float
    floor_s: float
    full: CliRun
    nightly: CliRun | None = None
    settle: CliRun | None = None
    warm: CliRun | None = None
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

    @property
    def warm_s(self) -> float | None:
        """The warm fixed cost: the run with nothing new at the fixed-cost scale, if measured."""
        if self.fixed is None or self.fixed.warm is None:
            return None
        return self.fixed.warm.wall_s


# --- raw results as JSON -----------------------------------------------------------------


def save_results(bench: Benchmark, path: Path, derived: dict | None = None) -> None:
    data = asdict(bench)
    if derived is not None:
        data["derived"] = derived
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def _cli_run(data: dict) -> CliRun:
    # Results written before the harness's high-water mark was recorded held its RSS instead,
    # which says nothing about ru_maxrss: dropped.
    data = {key: value for key, value in data.items() if key != "harness_rss_bytes"}
    return CliRun(
        **{
            **data,
            "load_before": tuple(data["load_before"]),
            "slowest_steps": [tuple(step) for step in data["slowest_steps"]],
            "process_peaks": [tuple(peak) for peak in data.get("process_peaks", [])],
        }
    )


def _scale_run(data: dict) -> ScaleRun:
    return ScaleRun(
        **{
            **data,
            "full": _cli_run(data["full"]),
            "nightly": _cli_run(data["nightly"]) if data["nightly"] else None,
            "settle": _cli_run(data["settle"]) if data.get("settle") else None,
            "warm": _cli_run(data["warm"]) if data.get("warm") else None,
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
