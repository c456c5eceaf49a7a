"""CSV files in the landing folder: names, headers, quoting, and the extract logic."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.demo.fmt import DAY, file_stamp
from ingestion.demo.versions import Row, Version, differs, is_deleted, route

_PART = ".part"
# Touches start this long before the full export, so some land in it and some after it.
_TOUCH_LEAD = 14 * DAY


def file_name(stem: str, ts: int, label: str) -> str:
    """``<object>_<YYYYMMDDTHHMMSSZ>_<label>.csv``: within a folder, name order is time order."""
    return f"{stem}_{file_stamp(ts)}_{label}.csv"


def is_generated(stem: str, name: str) -> bool:
    """Whether ``name`` is a file this generator writes for the object ``stem``."""
    pattern = rf"{re.escape(stem)}_\d{{8}}T\d{{6}}Z_[A-Za-z0-9-]+\.csv"
    return re.fullmatch(pattern, name) is not None


def header(folder: str, extras: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Contract columns in contract order, with extra columns inserted after an anchor
    (``(column, after)``; an empty anchor puts the column last)."""
    columns = list(OBJECTS_BY_FOLDER[folder].typed_columns)
    for column, after in extras:
        columns.insert(columns.index(after) + 1 if after else len(columns), column)
    return columns


class OutFile:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: TextIO = open(  # noqa: SIM115 - closed by Landing.commit/discard
            path.with_name(path.name + _PART), "w", encoding="utf-8", newline=""
        )
        self._csv = csv.writer(self._handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        self._csv.writerow(self.columns)

    def write(self, row: Row) -> None:
        self._csv.writerow([row.get(c, "") for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        self._handle.close()

    @property
    def part(self) -> Path:
        return self.path.with_name(self.path.name + _PART)


class Landing:
    """Every file of one generation run; they appear under their real names only on commit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[tuple[str, OutFile]] = []

    def open(self, folder: str, stem: str, ts: int, label: str, columns: Sequence[str]) -> OutFile:
        out = OutFile(self.root / folder / file_name(stem, ts, label), columns)
        self.files.append((folder, out))
        return out

    def write_all(
        self,
        folder: str,
        stem: str,
        ts: int,
        label: str,
        columns: Sequence[str],
        rows: Iterable[Row],
    ) -> None:
        out = self.open(folder, stem, ts, label, columns)
        for row in rows:
            out.write(row)

    def commit(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for folder, out in self.files:
            out.close()
            out.part.replace(out.path)
            counts[folder] = counts.get(folder, 0) + out.rows
        return counts

    def discard(self) -> None:
        for _, out in self.files:
            out.close()
            out.part.unlink(missing_ok=True)


class SalesforceWriter:
    """One Salesforce object: a full export, then deltas, per ``extracts``.

    Besides what the records' own versions put in the deltas, it adds two things real
    replication produces: touches (an edit of ``touch_field`` between the full export and now,
    so the record reappears with a newer SystemModstamp) and stale replays (a record's older
    version re-sent in a later delta, which must lose against the newer one).
    """

    def __init__(
        self,
        landing: Landing,
        name: str,
        extracts: Sequence[int],
        rng: random.Random,
        extras: Sequence[tuple[str, str]] = (),
        touch: Callable[[random.Random], Row] | None = None,
        touch_rate: float = 0.0,
        stale_rate: float = 0.0,
    ) -> None:
        folder = f"salesforce/{name}"
        self.columns = header(folder, extras)
        self.extracts = list(extracts)
        self.files = [
            landing.open(folder, name, ts, "full" if i == 0 else "delta", self.columns)
            for i, ts in enumerate(self.extracts)
        ]
        self.rng = rng
        self.touch = touch
        self.touch_rate = touch_rate
        self.stale_rate = stale_rate
        self.touched = 0
        self.stale = 0

    def add(self, versions: list[Version], plain: list[Version] | None = None) -> None:
        """Write one record. ``plain``: the record without the changes that must move nothing
        else (forecast overrides); the random draws (touches, stale replays) follow it, so every
        other record's rows stay as they would be without those changes."""
        basis = versions if plain is None else plain
        touch_at = self._touch_time(basis)
        if touch_at is not None and self.touch is not None:
            touch = (touch_at, self.touch(self.rng))
            versions = sorted([*versions, touch], key=lambda v: v[0])
            basis = versions if plain is None else sorted([*basis, touch], key=lambda v: v[0])
            self.touched += 1
        last = len(self.files) - 1
        emissions = route(versions, self.extracts)
        # Every extract that carries the plain record carries the record (it has more versions).
        drawn = {
            e.extract: e for e in (emissions if plain is None else route(basis, self.extracts))
        }
        for emission in emissions:
            self.files[emission.extract].write(emission.row)
            base = drawn.get(emission.extract)
            if (
                base is not None
                and base.extract < last
                and base.previous is not None
                and self.stale_rate
                and (self.stale == 0 or self.rng.random() < self.stale_rate)
                and differs(base.previous, base.row, self.columns)
            ):
                older = emission.previous or base.previous
                self.files[self.rng.randint(emission.extract + 1, last)].write(older)
                self.stale += 1

    def _touch_time(self, versions: list[Version]) -> int | None:
        """When to edit this record, if at all: around the full export or after it."""
        created, full = versions[0][0], self.extracts[0]
        if self.touch is None or created > full - _TOUCH_LEAD or is_deleted(versions):
            return None
        if self.touched and self.rng.random() >= self.touch_rate:
            return None
        return self.rng.randint(full - _TOUCH_LEAD, self.extracts[-1] - 60)
