"""Pipeline runs killed with SIGKILL at a chosen step of the period close.

:func:`killing_environment` gives a pipeline environment whose Python processes run
:func:`install_from_environment` at start (a ``sitecustomize.py`` it writes into a folder on
``PYTHONPATH``). With ``PERIOD_CLOSE_KILL_AT`` set to one of ``POINTS``, the process kills
itself with SIGKILL - no ``finally``, no rollback, no flush, as ``kill -9`` or a power cut
would - at that point of the ``publish`` step (``orchestration/lib/ledger/close.py``,
``lock_and_publish``):

- ``before_ledger_write``: the lock is computed, ``append_lock`` is about to be called;
- ``during_ledger_write``: inside ``append_lock``, every row of the lock inserted in its open
  transaction, right before ``commit``;
- ``after_ledger_write``: ``append_lock`` committed, ``publish_marts`` not called yet;
- ``during_publish``: inside ``publish_marts``, the new BI file written beside the old one and
  the lock columns overlaid (``overlay_locks``), before the checkpoint and the rename.

The functions are wrapped in the modules that call them right after those modules are imported
(a meta path finder), so the product's code is not changed. ``PERIOD_CLOSE_KILL_MARKER`` names a
file written (and synced) right before the kill - the point and, for ``during_ledger_write``,
the number of rows inserted - so a test knows the kill landed where it meant. Standard library
only: every interpreter of the run (dbt's too) imports this module; without
``PERIOD_CLOSE_KILL_AT`` it does nothing.
"""

from __future__ import annotations

import importlib.abc
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

KILL_AT_VARIABLE = "PERIOD_CLOSE_KILL_AT"
MARKER_VARIABLE = "PERIOD_CLOSE_KILL_MARKER"
POINTS = ("before_ledger_write", "during_ledger_write", "after_ledger_write", "during_publish")
CLOSE_MODULE = "orchestration.lib.ledger.close"
STORE_MODULE = "orchestration.lib.ledger.store"
REPO_ROOT = Path(__file__).resolve().parents[2]
SITECUSTOMIZE = (
    "# Written by tests/helpers/kill_points.py: kill this pipeline at $PERIOD_CLOSE_KILL_AT.\n"
    "from tests.helpers.kill_points import install_from_environment\n\n"
    "install_from_environment()\n"
)


def killing_environment(
    env: Mapping[str, str], point: str, marker: Path, hook_folder: Path
) -> dict[str, str]:
    """``env`` for a pipeline process that kills itself at ``point`` and writes ``marker``
    right before: ``hook_folder`` (given a ``sitecustomize.py``) first on ``PYTHONPATH``, then
    the repository root (the code under test, and this module)."""
    assert point in POINTS, point
    hook_folder.mkdir(parents=True, exist_ok=True)
    (hook_folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = [str(hook_folder), str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    return {
        **env,
        "PYTHONPATH": os.pathsep.join(path),
        KILL_AT_VARIABLE: point,
        MARKER_VARIABLE: str(marker),
    }


def install_from_environment() -> None:
    point = os.environ.get(KILL_AT_VARIABLE)
    if not point:
        return
    if point not in POINTS:
        raise SystemExit(f"{KILL_AT_VARIABLE}={point!r}: not one of {', '.join(POINTS)}")
    patches = {CLOSE_MODULE: _close_patch(point), STORE_MODULE: _store_patch(point)}
    sys.meta_path.insert(0, _PatchAfterImport(patches))


def _kill(note: str) -> None:
    marker = os.environ.get(MARKER_VARIABLE)
    if marker:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


def _close_patch(point: str):
    def patch(module) -> None:
        if point == "before_ledger_write":

            def append_lock(path, lock):
                _kill(f"before_ledger_write quarters={sorted(str(q) for q in lock.quarters)}")

            module.append_lock = append_lock
        elif point == "after_ledger_write":
            publish_marts = module.publish_marts

            def publish_marts_killed(*args, **kwargs):
                _kill("after_ledger_write")
                return publish_marts(*args, **kwargs)

            module.publish_marts = publish_marts_killed
        elif point == "during_publish":
            overlay_locks = module.overlay_locks

            def overlay_locks_killed(con, ledger):
                overlay_locks(con, ledger)
                _kill("during_publish")

            module.overlay_locks = overlay_locks_killed

    return patch


def _store_patch(point: str):
    def patch(module) -> None:
        if point != "during_ledger_write":
            return
        real_duckdb = module.duckdb
        append_lock = module.append_lock

        class Connection:
            """A ledger connection that counts inserted rows and dies at ``commit``."""

            def __init__(self, con) -> None:
                self._con = con
                self._inserts = 0

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._con.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(self._con, name)

            def execute(self, sql, *args, **kwargs):
                text = sql.strip().lower() if isinstance(sql, str) else ""
                if text == "commit":
                    _kill(f"during_ledger_write inserts={self._inserts}")
                result = self._con.execute(sql, *args, **kwargs)
                if text.startswith("insert"):  # rows inserted, whatever the statements
                    self._inserts += result.fetchone()[0]
                return result

        class DuckDB:
            def __getattr__(self, name):
                return getattr(real_duckdb, name)

            @staticmethod
            def connect(*args, **kwargs):
                return Connection(real_duckdb.connect(*args, **kwargs))

        def append_lock_killed(path, lock):
            module.duckdb = DuckDB()
            try:
                return append_lock(path, lock)
            finally:
                module.duckdb = real_duckdb

        module.append_lock = append_lock_killed

    return patch


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds the patched modules with the other finders and patches each once executed."""

    def __init__(self, patches) -> None:
        self.patches = patches

    def find_spec(self, name, path=None, target=None):
        patch = self.patches.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec
