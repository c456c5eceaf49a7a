"""Salesforce records as timed versions, cut into the extracts that would have seen them.

A record is a list of ``(SystemModstamp, changed fields)``. A full export at time t holds every
record created by t in its latest version at t; each later delta holds the records changed since
the previous extract, in their latest version. Versions after the last extract never happened
as far as the exports know, so the generator may simulate past "now" and let this cut it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingestion.demo.fmt import sf_datetime

Row = dict[str, str]
Version = tuple[int, Row]

AUDIT_COLUMNS = ("SystemModstamp", "LastModifiedDate")


@dataclass(frozen=True)
class Emission:
    extract: int  # index into the extract times
    row: Row
    previous: Row | None  # the record's version before ``row``, if any


def _stamped(state: Row, ts: int) -> Row:
    stamp = sf_datetime(ts)
    return {**state, "SystemModstamp": stamp, "LastModifiedDate": stamp}


def route(versions: Sequence[Version], extracts: Sequence[int]) -> list[Emission]:
    """Which extract carries which version of one record (versions sorted by time)."""
    out: list[Emission] = []
    state: Row | None = None
    previous: Row | None = None
    last_ts: int | None = None
    pending = False
    k = 0
    for ts, patch in versions:
        while ts > extracts[k]:
            if pending and state is not None:
                out.append(Emission(k, state, previous))
                pending = False
            k += 1
            if k == len(extracts):
                return out
        if state is None:
            state = _stamped(patch, ts)
        else:
            if ts != last_ts:
                previous = state
            state = _stamped({**state, **patch}, ts)
        last_ts = ts
        pending = True
    if pending and state is not None:
        out.append(Emission(k, state, previous))
    return out


def differs(a: Row, b: Row, columns: Sequence[str]) -> bool:
    """True when two versions differ in some column other than the audit stamps."""
    return any(a.get(c, "") != b.get(c, "") for c in columns if c not in AUDIT_COLUMNS)


def is_deleted(versions: Sequence[Version]) -> bool:
    return any(patch.get("IsDeleted") == "true" for _, patch in versions)
