"""How the raw gate's frames are cut for Great Expectations, and the chunks' results merged.

A frame read from the warehouse is validated in ``parts`` (``plan``), each read as its own
narrow frame (the row id and the columns its expectations read) and fed to GX in chunks of at
most ``CHUNK_ROWS`` rows, so memory does not grow with the table:

- row-level expectations (``ROW_LEVEL``: a row passes or fails on its own values) in one part,
  in chunks of any rows;
- each uniqueness expectation (``GROUPED``) in a part of its own, read sorted by its columns and
  cut only between groups of equal values, so every duplicate meets its twins in one chunk (the
  first one takes the row-level expectations along: one read of the frame for both);
- any other expectation (an aggregate over the whole column or table, or one with ``mostly``)
  in a part read whole, in one chunk.

GX validates each chunk (``runner.py``); ``merge`` folds the chunks' results per expectation
(success when every chunk succeeded, counts summed, the first failing values and rows kept up
to ``SAMPLE_SIZE``) into what GX reports for the whole frame.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ingestion.expectations import Expectation

SAMPLE_SIZE = 20  # failing values and row indexes GX returns per expectation

CHUNK_ROWS = 1_000_000  # rows GX validates at once (a group of equal keys may make a chunk longer)

# A row passes or fails on its own values: validated in chunks of any rows, results summed.
ROW_LEVEL = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_value_lengths_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)

# Uniqueness: a row fails with every other row of equal values. Validated in chunks that never
# split a group of equal values (read sorted by them), results summed. Rows whose one column is
# NULL are not compared (GX skips them), so a group of NULLs may be split; a compound group never.
GROUPED = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})


@dataclass(frozen=True)
class Part:
    """Expectations (by position in their batch) validated together over one read of the frame.

    ``columns``: what to read (the row id, the columns the expectations and their row conditions
    read). ``group_by``: read sorted by these, and rows with equal values share a chunk.
    ``whole``: read in one chunk, for expectations over the whole column or table.
    """

    positions: tuple[int, ...]
    columns: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    whole: bool = False


# Reads a part's columns of the frame (sorted by its ``group_by``), as DataFrames of any length.
Reader = Callable[[Part], Iterable[pd.DataFrame]]


def referenced_columns(expectations: Iterable[Expectation]) -> list[str]:
    """Columns an expectation reads, row conditions included, in first-seen order."""
    names: list[str] = []
    for expectation in expectations:
        kwargs = expectation.kwargs
        names += [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
        names += list(kwargs.get("column_list") or [])
        names += [condition.column for condition in kwargs.get("row_condition") or ()]
    return list(dict.fromkeys(names))


def plan(expectations: Sequence[Expectation], row_id: Sequence[str] = ()) -> list[Part]:
    """The parts a batch is validated in: row-level expectations together, each uniqueness
    expectation alone (grouped by its columns), the rest whole; at least one part."""
    row_level, grouped, whole = [], [], []
    for position, expectation in enumerate(expectations):
        if "mostly" in expectation.kwargs:  # success over the whole column, not per chunk
            whole.append(position)
        elif expectation.type in ROW_LEVEL:
            row_level.append(position)
        elif expectation.type in GROUPED and columns_of(expectation):
            grouped.append(position)
        else:
            whole.append(position)

    def part(positions: list[int], **kw: Any) -> Part:
        used = referenced_columns(expectations[p] for p in positions)
        return Part(tuple(positions), tuple(dict.fromkeys([*row_id, *used])), **kw)

    # Row-level expectations ride along with the first uniqueness one (chunks cut between groups
    # are chunks all the same): one read and one GX run a chunk for both.
    firsts = [row_level + grouped[:1], *([p] for p in grouped[1:])] if grouped else [row_level]
    parts = [
        part(positions, group_by=tuple(columns_of(expectations[positions[-1]])))
        if positions and positions[-1] in grouped
        else part(positions)
        for positions in firsts
        if positions or not whole
    ]
    parts += [part(whole, whole=True)] if whole else []
    return parts


def _row_hashes(data: pd.DataFrame, columns: Sequence[str]) -> Any:
    """One hash per row of ``columns`` (equal values, NULLs included, hash equal)."""
    return pd.util.hash_pandas_object(data[list(columns)], index=False).to_numpy()


def chunks(frames: Iterable[pd.DataFrame], part: Part) -> Iterator[pd.DataFrame]:
    """The rows of ``frames`` again, in chunks of at most ``CHUNK_ROWS`` rows (one chunk for a
    ``whole`` part; longer when a group of equal ``group_by`` values crosses the limit), each
    indexed by its rows' positions in the whole frame. At least one chunk, maybe empty."""
    size = max(1, CHUNK_ROWS)
    group_by = list(part.group_by)
    nulls_apart = len(group_by) == 1  # GX skips a NULL value: a group of NULLs may be split
    buffer: pd.DataFrame | None = None
    offset = 0

    def emit(rows: pd.DataFrame) -> pd.DataFrame:
        nonlocal offset
        rows = rows.reset_index(drop=True)
        rows.index = pd.RangeIndex(offset, offset + len(rows))
        offset += len(rows)
        return rows

    def cut(rows: pd.DataFrame) -> int | None:
        """Where to end the next chunk: ``size`` or the end of the group there; None: the
        group may go on in rows not read yet."""
        if not group_by or not all(c in rows.columns for c in group_by):
            return size
        if nulls_apart and pd.isna(rows[group_by[0]].iloc[size - 1]):
            return size
        hashes = _row_hashes(rows.iloc[size - 1 :], group_by)
        changed = (hashes[1:] != hashes[0]).nonzero()[0]
        return size + int(changed[0]) if changed.size else None

    emitted = False
    for frame in frames:
        if buffer is None or buffer.empty:
            buffer = frame
        elif not frame.empty:
            buffer = pd.concat([buffer, frame], ignore_index=True)
        while not part.whole and len(buffer) > size:
            end = cut(buffer)
            if end is None:
                break
            yield emit(buffer.iloc[:end])
            emitted = True
            buffer = buffer.iloc[end:]
    if buffer is not None and (len(buffer) or not emitted):
        yield emit(buffer)


def _merge_map(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two chunks' SUMMARY results of a map expectation as GX would report the rows of both."""
    merged = dict(a)
    element = (a.get("element_count") or 0) + (b.get("element_count") or 0)
    unexpected = (a.get("unexpected_count") or 0) + (b.get("unexpected_count") or 0)
    merged["element_count"], merged["unexpected_count"] = element, unexpected
    total = unexpected / element * 100 if element else None
    nonmissing_share = total
    if "missing_count" in a and "missing_count" in b:
        missing = (a["missing_count"] or 0) + (b["missing_count"] or 0)
        nonnull = element - missing
        nonmissing_share = unexpected / nonnull * 100 if element and nonnull else None
        merged["missing_count"] = missing
        merged["missing_percent"] = missing / element * 100 if element else None
        merged["unexpected_percent_total"] = total
        merged["unexpected_percent_nonmissing"] = nonmissing_share
    merged["unexpected_percent"] = nonmissing_share
    for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if key in a or key in b:
            merged[key] = [*(a.get(key) or []), *(b.get(key) or [])][:SAMPLE_SIZE]
    if "partial_unexpected_counts" in a or "partial_unexpected_counts" in b:
        merged["partial_unexpected_counts"] = _value_counts(merged.get("partial_unexpected_list"))
    return merged


def _value_counts(values: list | None) -> list[dict[str, Any]]:
    """GX's ``partial_unexpected_counts`` of a sample of failing values."""
    hashable = [tuple(v.values()) if isinstance(v, dict) else v for v in values or []]
    try:
        common = sorted(Counter(hashable).most_common(SAMPLE_SIZE), key=lambda x: (-x[1], x[0]))
    except TypeError:
        return [{"error": "partial_exception_counts requires a hashable type"}]
    return [{"value": value, "count": count} for value, count in common]


def merge(previous: Any, current: Any) -> Any:
    """A chunk's expectation result merged into those of the chunks before it."""
    if previous is None or exception(previous):
        return current if previous is None else previous
    if exception(current):
        return current
    a, b = dict(previous.result or {}), dict(current.result or {})
    if "unexpected_count" not in a or "unexpected_count" not in b:
        raise RuntimeError(f"cannot merge chunk results of {previous.expectation_config.type}")
    previous.result = _merge_map(a, b)
    previous.success = bool(previous.success and current.success)
    return previous


def exception(result: Any) -> str | None:
    """GX's message when evaluating the expectation raised; its shape varies by failure."""
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [e.get("exception_message") for e in entries if e.get("raised_exception")]
    return "; ".join(sorted({str(m) for m in messages})) or None


def columns_of(expectation: Expectation) -> list[str]:
    """The columns an expectation is about (not those of its row condition)."""
    kwargs = expectation.kwargs
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    return columns + list(kwargs.get("column_list") or [])
