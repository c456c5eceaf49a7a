"""One run at a time per warehouse (issue 24).

A run holds an exclusive ``flock`` on ``<warehouse>.lock`` from its first step to its end; a
second run against the same warehouse polls for it up to ``SPM_RUN_LOCK_TIMEOUT_SECONDS`` and
then fails, naming the run that holds it (written into the lock file by its holder). The kernel
drops the lock when its process ends however it ends (a SIGKILL included), so a killed run never
leaves a stale lock; the file itself stays and is never removed (removing it would let two
processes lock two different files of the same name).

The lock is a file beside the warehouse, not the DuckDB file itself: DuckDB takes POSIX locks on
its file, which any close of a descriptor of that file drops.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_SUFFIX = ".lock"


class WarehouseBusy(Exception):
    """Another run held the warehouse for longer than this run would wait."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + LOCK_SUFFIX)


def holder(path: Path) -> dict:
    """What the holder wrote into the lock file (its run id, process and start); ``{}`` when it
    has not written yet or the file is not there."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def describe(found: dict) -> str:
    if not found:
        return "another run (it has not written its id yet)"
    return (
        f"run {found.get('run_id', '?')} (process {found.get('pid', '?')}, holding it since "
        f"{found.get('since', '?')} UTC)"
    )


@contextmanager
def hold_warehouse(
    warehouse: Path,
    run_id: str,
    timeout: float,
    poll: float = 1.0,
    waiting: Callable[[dict], None] | None = None,
) -> Iterator[Path]:
    """Hold the warehouse's lock for the block; wait up to ``timeout`` seconds for it (calling
    ``waiting`` with the holder once, when this run starts to wait), then raise
    :class:`WarehouseBusy` naming the holder."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and waiting is not None:
                    waiting(holder(path))
                    told = True
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {warehouse} is in use by {describe(holder(path))}; this "
                        f"run waited {timeout:g} s (SPM_RUN_LOCK_TIMEOUT_SECONDS) and wrote "
                        "nothing. Retry once that run has ended."
                    ) from None
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.01)))
        since = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        record = json.dumps({"run_id": run_id, "pid": os.getpid(), "since": since})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        os.fsync(fd)
        yield path
    finally:
        os.close(fd)  # releases the lock
