"""Expected values straight from the landing CSVs, with pandas: independent of loader and dbt.

The contract's version rules, re-implemented plainly: Salesforce records keep the version with
the greatest SystemModstamp, then the later file and line, and drop deleted ones; other sources
keep the later file's (and line's) row per key.
"""

from pathlib import Path

import pandas as pd


def read_object(landing: Path, folder: str) -> pd.DataFrame:
    """Every row of every file of one landing object, as text, with file name and row order."""
    frames = []
    for path in sorted((landing / folder).glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["_file"] = path.name
        frame["_line"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def salesforce_current(landing: Path, name: str) -> pd.DataFrame:
    """The winning version of each record of a Salesforce object, deleted ones dropped."""
    rows = read_object(landing, f"salesforce/{name}")
    rows = rows.sort_values(["SystemModstamp", "_file", "_line"], kind="stable")
    rows = rows.drop_duplicates("Id", keep="last")
    if "IsDeleted" in rows:
        rows = rows[rows["IsDeleted"] != "true"]
    return rows


def latest_file_rows(landing: Path, folder: str, key: list[str]) -> pd.DataFrame:
    """Non-Salesforce sources: per key, the row of the later file (then the later line)."""
    rows = read_object(landing, folder).sort_values(["_file", "_line"], kind="stable")
    return rows.drop_duplicates(key, keep="last")
