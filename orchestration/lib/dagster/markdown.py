"""Markdown for Dagster metadata: tables a person reads in the UI, one row per line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd


def cell(value: object, null: str = "") -> str:
    """A value as a table cell: ``null`` for a missing value, pipes escaped, one line."""
    missing = value is None or (
        not isinstance(value, str | list | dict | tuple) and bool(pd.isna(value))
    )
    text = null if missing else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[object]], null: str = "") -> str:
    """A markdown table of ``rows`` under ``columns``; ``none`` when there are no rows."""
    body = ["| " + " | ".join(cell(value, null) for value in row) + " |" for row in rows]
    if not body:
        return "none"
    header = "| " + " | ".join(cell(column) for column in columns) + " |"
    return "\n".join([header, "|" + "---|" * len(columns), *body])
