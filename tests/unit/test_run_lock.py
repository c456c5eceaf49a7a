"""One run at a time per warehouse (orchestration/lib/runs/lock.py): a second holder waits, then
fails naming the first; a killed holder never leaves the lock held."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from orchestration.lib.runs.lock import WarehouseBusy, hold_warehouse, lock_path
from spm_common.paths import PROJECT_ROOT

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.lib.runs.lock import hold_warehouse
    with hold_warehouse(Path(sys.argv[1]), "run-A", timeout=5):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def start_holder(warehouse, seconds):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), str(seconds)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_fails_after_its_timeout_naming_the_holder(tmp_path):
    warehouse = tmp_path / "spm.duckdb"
    holder = start_holder(warehouse, 30)
    try:
        started = time.monotonic()
        told = []
        with (
            pytest.raises(WarehouseBusy) as busy,
            hold_warehouse(warehouse, "run-B", timeout=0.6, poll=0.1, waiting=told.append),
        ):
            pytest.fail("two holders at once")
        assert time.monotonic() - started >= 0.6
        assert "run run-A" in str(busy.value) and str(warehouse) in str(busy.value)
        assert "SPM_RUN_LOCK_TIMEOUT_SECONDS" in str(busy.value)
        assert [found["run_id"] for found in told] == ["run-A"]
    finally:
        holder.kill()
        holder.wait()


def test_a_second_run_waits_and_then_holds_it(tmp_path):
    warehouse = tmp_path / "spm.duckdb"
    holder = start_holder(warehouse, 0.8)
    started = time.monotonic()
    try:
        with hold_warehouse(warehouse, "run-B", timeout=30, poll=0.05) as path:
            # Only once the first holder let go, about 0.8 s after it took the lock.
            assert time.monotonic() - started >= 0.5
            assert '"run_id": "run-B"' in path.read_text()
    finally:
        assert holder.wait() == 0


def test_a_killed_holder_leaves_no_lock(tmp_path):
    warehouse = tmp_path / "spm.duckdb"
    holder = start_holder(warehouse, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with hold_warehouse(warehouse, "run-B", timeout=0):
        pass


def test_threads_of_one_process_do_not_share_it(tmp_path):
    # flock is per open file: two holders in one process exclude each other too.
    warehouse = tmp_path / "spm.duckdb"
    inside = threading.Event()
    release = threading.Event()

    def first():
        with hold_warehouse(warehouse, "run-A", timeout=5):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(10)
        with (
            pytest.raises(WarehouseBusy, match="run run-A"),
            hold_warehouse(warehouse, "run-B", timeout=0.2, poll=0.05),
        ):
            pass
    finally:
        release.set()
        thread.join()


def test_the_lock_file_is_the_owners_only_and_stays(tmp_path):
    warehouse = tmp_path / "warehouse" / "spm.duckdb"
    with hold_warehouse(warehouse, "run-A", timeout=0):
        pass
    path = lock_path(warehouse)
    assert path == tmp_path / "warehouse" / "spm.duckdb.lock"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
