"""Every import points down the layers (docs/architecture.md, "Layers").

Bottom to top: ``spm_common`` (paths, schema names, SQL quoting, ``SPM_*`` settings, file
fingerprints) → ``ingestion`` (contract, loader, demo generator) → ``orchestration/lib`` (the code
Dagster objects and command lines call) → ``orchestration/defs`` (Dagster objects only) →
``orchestration/definitions.py``, which only assembles. ``orchestration/cli`` wraps ``lib`` and
never reaches into ``defs``; the benchmark reuses ``lib``.

Two checks: every ``import`` statement of every module, read from its source (a lazy import in a
function counts too), against the layers it may import; and each layer imported in a fresh
interpreter, where nothing above it may be loaded — nor Dagster or DuckDB by the base, nor
Dagster by the demo generator.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from spm_common.paths import PROJECT_ROOT

# The layers, each with the project packages its modules may import (besides third parties).
BASE = "spm_common"
INGESTION = "ingestion"
LIB = "orchestration.lib"
DEFS = "orchestration.defs"
CLI = "orchestration.cli"
DEFINITIONS = "orchestration.definitions"
BENCHMARKS = "benchmarks"
MAY_IMPORT = {
    BASE: {BASE},
    INGESTION: {BASE, INGESTION},
    LIB: {BASE, INGESTION, LIB},
    DEFS: {BASE, INGESTION, LIB, DEFS},
    CLI: {BASE, INGESTION, LIB, CLI},
    DEFINITIONS: {BASE, INGESTION, LIB, DEFS},
    BENCHMARKS: {BASE, INGESTION, LIB, BENCHMARKS},
}
# Most specific first: the layer of a module is the first prefix it matches.
LAYER_ORDER = (LIB, DEFS, CLI, DEFINITIONS, BASE, INGESTION, BENCHMARKS)
PROJECT_PACKAGES = ("spm_common", "ingestion", "orchestration", "benchmarks", "tests")
# Modules a layer may not load, even through a third party, when imported on its own.
HEAVY = {BASE: ("dagster", "duckdb"), f"{INGESTION}.demo": ("dagster",)}


def layer_of(module: str) -> str | None:
    for layer in LAYER_ORDER:
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


# Parent packages whose ``__init__`` holds only a docstring: importing any layer loads them.
PARENTS = {"orchestration"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    """Every module of the layered packages (tests are above all layers)."""
    modules = {}
    for package in ("spm_common", "ingestion", "orchestration", "benchmarks"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if module_name(path) not in PARENTS:
                modules[module_name(path)] = path
    return modules


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every project import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] in PROJECT_PACKAGES]


def upward_imports(modules: dict[str, Path]) -> list[str]:
    problems = []
    for module, path in modules.items():
        layer = layer_of(module)
        assert layer is not None, f"{path}: {module} belongs to no layer of {LAYER_ORDER}"
        for line, target in imported_modules(path, module):
            target_layer = layer_of(target) or target.split(".")[0]
            if target_layer not in MAY_IMPORT[layer]:
                where = (
                    path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
                )
                problems.append(
                    f"{where}:{line} imports {target} ({target_layer}); {layer} may import "
                    f"only {', '.join(sorted(MAY_IMPORT[layer]))}"
                )
    return problems


def test_every_module_belongs_to_a_layer_and_imports_only_below_it():
    problems = upward_imports(project_modules())
    assert not problems, "imports that point up the layers:\n" + "\n".join(problems)


def test_the_check_catches_an_upward_import(tmp_path):
    """The check itself: the loader importing a lib module (as it did before issue 21)."""
    source = tmp_path / "load.py"
    source.write_text("from orchestration.lib.publish.bi_file import publish_marts\n")
    found = upward_imports({"ingestion.loader.load": source})
    assert len(found) == 1
    assert "imports orchestration.lib.publish.bi_file (orchestration.lib)" in found[0]


# --------------------------------------------------------------- each layer, a fresh interpreter

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(modules: list[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def layer_modules(prefix: str) -> list[str]:
    return [
        name
        for name in project_modules()
        if (name == prefix or name.startswith(prefix + ".")) and not name.endswith("__main__")
    ]


@pytest.mark.parametrize(
    "prefix",
    [BASE, f"{INGESTION}.demo", INGESTION, LIB, CLI, BENCHMARKS],
)
def test_a_layer_imported_alone_loads_nothing_above_it(prefix):
    loaded = loaded_by(layer_modules(prefix))
    layer = layer_of(prefix)
    above = sorted(
        name
        for name in loaded
        if name.split(".")[0] in PROJECT_PACKAGES
        and name not in PARENTS
        and (layer_of(name) or "tests") not in MAY_IMPORT[layer]
    )
    assert not above, f"importing {prefix} loaded {above}"
    heavy = sorted(
        name
        for name in HEAVY.get(prefix, ())
        if any(m == name or m.startswith(name + ".") for m in loaded)
    )
    assert not heavy, f"importing {prefix} loaded {heavy} at import time"


def test_the_demo_generator_command_does_not_load_dagster():
    """``python -m ingestion.demo`` (make run's first step) stays a plain Python program."""
    loaded = loaded_by(["ingestion.demo.__main__"])
    assert "dagster" not in loaded
