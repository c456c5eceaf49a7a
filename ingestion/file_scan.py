"""Byte-level facts about a landing file, read in chunks before any CSV parsing.

The content hash (idempotent loads), the first byte that is not UTF-8, the empty physical lines
and the last non-empty line (exact line numbers around records the CSV reader skips), and the
line of any byte offset (DuckDB reports rejected records by byte position).
"""

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spm_common.fingerprints import CHUNK

BLANK_LINE = re.compile(rb"\n(?=\r?\n)")


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes tells before any CSV parsing."""

    undecodable_at: int | None  # byte offset of the first byte that is not UTF-8
    blank_lines: list[int]  # empty physical lines, inside quoted values or between records
    last_line: int  # the last physical line that is not empty (0: nothing but blank lines)


def scan_bytes(path: Path) -> FileScan:
    """First undecodable byte, empty lines and the last non-empty line, in one chunked pass."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    undecodable_at, blank_lines = None, []
    offset = newlines = 0  # bytes and newlines before ``buffer``
    buffer = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            if undecodable_at is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    # exc.object is the decoder's pending bytes followed by this chunk.
                    pending = len(exc.object) - len(chunk)
                    undecodable_at = offset + len(buffer) - pending + exc.start
            buffer += chunk
            # A newline is judged only once the two bytes after it are in the buffer.
            done = max(len(buffer) - 2, 0)
            newlines += _find_blank_lines(buffer, done, newlines, blank_lines)
            offset, buffer = offset + done, buffer[done:]
    size = offset + len(buffer)
    if undecodable_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            undecodable_at = size - len(exc.object) + exc.start
    newlines += _find_blank_lines(buffer, len(buffer), newlines, blank_lines)
    last_line = newlines + (1 if size and not buffer.endswith(b"\n") else 0)
    blank = set(blank_lines)
    while last_line in blank:
        last_line -= 1
    return FileScan(undecodable_at, blank_lines, last_line)


def _find_blank_lines(buffer: bytes, end: int, lines_before: int, found: list[int]) -> int:
    """Append the empty lines that follow a newline in ``buffer[:end]``; return its newlines."""
    counted = position = 0
    for match in BLANK_LINE.finditer(buffer):
        if match.start() >= end:
            break
        counted += buffer.count(b"\n", position, match.start() + 1)
        position = match.start() + 1
        found.append(lines_before + counted + 1)
    return counted + buffer.count(b"\n", position, end)


def lines_at(path: Path, offsets: Sequence[int]) -> list[int]:
    """The physical line (1-based) of each byte offset, in one pass."""
    order = sorted(range(len(offsets)), key=offsets.__getitem__)
    lines = [0] * len(offsets)
    start = newlines = 0  # file offset of ``chunk`` and newlines before it
    with path.open("rb") as handle:
        chunk = handle.read(CHUNK)
        position = 0
        for index in order:
            target = offsets[index]
            while chunk and target >= start + len(chunk):
                newlines += chunk.count(b"\n", position)
                start, position, chunk = start + len(chunk), 0, handle.read(CHUNK)
            newlines += chunk.count(b"\n", position, max(target - start, position))
            position = max(target - start, position)
            lines[index] = newlines + 1
    return lines
