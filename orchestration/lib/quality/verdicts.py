"""The raw gate's last verdict per suite, and whether a suite has anything new to validate.

A suite's verdict can only change when what it validates changes. Its fingerprint is a hash of
the raw tables it reads (its object's and those its derived frames and value sets read, each
by ``spm_common.fingerprints.table_signature``), its batches as resolved at run time (frame
SQL, expectations with their value sets, row ids) and the code that validates and reports
(this package, ``results.py``, the GX version). A run whose fingerprint equals the last
verdict's reports that verdict again, marked as unchanged, without importing or running Great
Expectations; its Data Docs page is the one that verdict links (it must still exist).

The verdicts are kept as JSON beside the Data Docs (``VERDICTS_FILE``), written atomically
after the checks are reported. It is derived state: deleting it only makes the next run
validate every suite.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.lib.quality import runner
from orchestration.lib.quality.runner import Batch
from spm_common.fingerprints import table_signature
from spm_common.schemas import RAW_SCHEMA

VERDICTS_FILE = "spm_verdicts.json"
ENGINE_FILES = ("runner.py", "frames.py", "verdicts.py")


@functools.cache
def _engine(extra_sources: tuple[Path, ...]) -> str:
    """The code that validates and reports, and the GX version (read once per process, not
    once per suite)."""
    digest = hashlib.sha256(package_metadata.version("great-expectations").encode())
    here = Path(runner.__file__).parent
    for path in [*(here / name for name in ENGINE_FILES), *extra_sources]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _batch(batch: Batch) -> dict[str, Any]:
    data = batch.data
    return {
        "frame": batch.frame,
        "sql": data.sql if isinstance(data, runner.Query) else "dataframe",
        "row_id": list(batch.row_id),
        "expectations": [repr(e) for e in batch.expectations],
    }


def fingerprint(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str],
    batches: Sequence[Batch],
    extra_sources: Iterable[Path] = (),
) -> str:
    """What a suite's verdict depends on (module docstring), hashed."""
    parts = {
        "engine": _engine(tuple(extra_sources)),
        "tables": {t: table_signature(con, RAW_SCHEMA, t) for t in sorted(set(tables))},
        "batches": [_batch(b) for b in batches],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """A suite's reported check result and the fingerprint it was reached on."""

    fingerprint: str
    validated_at: str  # ISO timestamp
    passed: bool
    severity: str
    description: str | None
    metadata: str  # dagster-serialized metadata values

    @classmethod
    def of(cls, fingerprint_: str, result: dg.AssetCheckResult) -> Verdict:
        values = {
            key: value if isinstance(value, dg.MetadataValue) else _metadata_value(value)
            for key, value in (result.metadata or {}).items()
        }
        return cls(
            fingerprint_,
            datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            bool(result.passed),
            result.severity.value,
            result.description,
            dg.serialize_value(values),
        )

    def docs_page_exists(self) -> bool:
        """The Data Docs page the verdict links is still there (or it linked none)."""
        url = dg.deserialize_value(self.metadata, dict).get("data_docs")
        return url is None or runner._url_to_path(url.value).is_file()

    def result(self, asset_key: dg.AssetKey, check_name: str) -> dg.AssetCheckResult:
        """The verdict reported again, saying it is unchanged and since when."""
        values = dg.deserialize_value(self.metadata, dict)
        values["validated_at"] = dg.MetadataValue.text(self.validated_at)
        values["unchanged"] = dg.MetadataValue.text(
            "no raw row, value set, expectation or gate code changed since this verdict: "
            "Great Expectations not run again"
        )
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=self.passed,
            severity=dg.AssetCheckSeverity(self.severity),
            description=f"unchanged since {self.validated_at}: {self.description}",
            metadata=values,
        )


def _metadata_value(value: Any) -> dg.MetadataValue:
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    return dg.MetadataValue.text(str(value))


def read(docs_dir: Path) -> dict[str, Verdict]:
    """The verdicts kept beside the Data Docs, by suite name; none when unreadable."""
    try:
        entries = json.loads((docs_dir / VERDICTS_FILE).read_text())
        return {suite: Verdict(**entry) for suite, entry in entries.items()}
    except (OSError, ValueError, TypeError):
        return {}


def write(docs_dir: Path, verdicts: Mapping[str, Verdict]) -> None:
    """Replace the kept verdicts with ``verdicts``, atomically."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    path = docs_dir / VERDICTS_FILE
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        json.dumps({suite: v.__dict__ for suite, v in sorted(verdicts.items())}, indent=1)
    )
    os.replace(temporary, path)
