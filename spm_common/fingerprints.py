"""Fingerprints of files, named once: a file's content hash (idempotent loads, the statements'
source) and the digest of a listing of paths, sizes and modification times (the landing
sensor's state, the dbt manifest's freshness)."""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20

Entry = tuple[str, int, int]


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stat_entries(paths: Iterable[Path], root: Path) -> list[Entry]:
    """``(path relative to root, size, mtime_ns)`` of each file, in the order given."""
    entries = []
    for path in paths:
        stat = path.stat()
        entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return entries


def listing_digest(entries: list[Entry], **extra: object) -> str:
    """A SHA-256 of the entries (and any extra JSON values): it changes when a file is added,
    removed, resized or touched."""
    payload: object = {**extra, "files": entries} if extra else entries
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()
