"""Files only for their owners (issue 24): what the pipeline writes holds pay, so it is created
readable by its owner only, or by its owner and the group ``SPM_FILE_GROUP``.

- :func:`private_umask` is the umask of a run (and of every process it starts: dbt, DuckDB's
  sidecars, the statements): ``077``, or ``007`` with a group.
- :func:`protect` makes an existing file or folder (and a folder's content) owner-only, or
  owner-and-group with the group set, whatever umask made it: for files made before this rule
  or by a process with another umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OWNER_FILE, OWNER_FOLDER = 0o600, 0o700
GROUP_FILE, GROUP_FOLDER = 0o640, 0o2750  # setgid: new files in the folder get its group


def private_umask(group: int | None = None) -> int:
    return 0o027 if group is not None else 0o077


@contextmanager
def private_files(group: int | None = None) -> Iterator[None]:
    """The block creates files with :func:`private_umask` (restored after)."""
    previous = os.umask(private_umask(group))
    try:
        yield
    finally:
        os.umask(previous)


def _protect_one(path: Path, group: int | None) -> None:
    folder = path.is_dir()
    if group is None:
        path.chmod(OWNER_FOLDER if folder else OWNER_FILE)
        return
    os.chown(path, -1, group)
    path.chmod(GROUP_FOLDER if folder else GROUP_FILE)


def protect(path: Path, group: int | None) -> None:
    """Owner-only (or owner and ``group``: :func:`spm_common.settings.file_group`) modes on
    ``path`` and, for a folder, everything under it; nothing when ``path`` does not exist."""
    if not path.exists():
        return
    _protect_one(path, group)
    if path.is_dir():
        for root, folders, files in os.walk(path):
            for name in folders + files:
                child = Path(root) / name
                if not child.is_symlink():
                    _protect_one(child, group)


def is_private(path: Path, group: int | None = None) -> bool:
    """No permission for others (and none for the group unless ``group`` owns the file)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o007:
        return False
    return not (mode & 0o070) or (group is not None and path.stat().st_gid == group)
