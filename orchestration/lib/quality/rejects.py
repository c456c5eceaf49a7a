"""What the audit tables hold for one object, as the reject checks judge it: the rows loaded
and rejected, the rejected files, a sample of rejected rows, and the rule (a rejected file, or
more rejected rows than ``SPM_MAX_REJECT_RATE`` allows, blocks). The checks are in
``defs/ingestion/checks.py``."""

from dataclasses import dataclass

import dagster as dg
import duckdb

from ingestion.contract import SourceObject
from orchestration.lib.dagster.markdown import markdown_table
from spm_common.schemas import AUDIT_SCHEMA

REJECT_SAMPLE_SIZE = 10


@dataclass(frozen=True)
class RejectSummary:
    rows_loaded: int
    rows_rejected: int
    rejected_files: list[tuple]  # file, reason, line, column
    rejected_rows: list[tuple]  # file, line, column, value, reason (first few)
    max_rate: float

    @property
    def rate(self) -> float:
        total = self.rows_loaded + self.rows_rejected
        return self.rows_rejected / total if total else 0.0

    @property
    def over_threshold(self) -> bool:
        return self.rows_rejected > self.max_rate * (self.rows_loaded + self.rows_rejected)

    @property
    def blocks(self) -> bool:
        return bool(self.rejected_files) or self.over_threshold

    def metadata(self) -> dict[str, dg.MetadataValue | int | float | str]:
        return {
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "reject_rate": round(self.rate, 6),
            "max_reject_rate": self.max_rate,
            "files_rejected": len(self.rejected_files),
            "rejected_files": dg.MetadataValue.md(
                markdown_table(["file", "reason", "line", "column"], self.rejected_files)
            ),
            "rejected_rows_sample": dg.MetadataValue.md(
                markdown_table(["file", "line", "column", "value", "reason"], self.rejected_rows)
            ),
        }


def reject_summary(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, max_rate: float
) -> RejectSummary:
    loaded, rejected = con.execute(
        f"select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) "
        f"from {AUDIT_SCHEMA}.loaded_files where object_folder = ?",
        [obj.folder],
    ).fetchone()
    files = con.execute(
        f"select source_file, reason, line_number, column_name from {AUDIT_SCHEMA}.rejected_files "
        "where object_folder = ? order by source_file",
        [obj.folder],
    ).fetchall()
    rows = con.execute(
        f"select source_file, line_number, column_name, left(raw_value, 80), reason "
        f"from {AUDIT_SCHEMA}.rejected_rows where object_folder = ? "
        f"order by source_file, line_number, column_name limit {REJECT_SAMPLE_SIZE}",
        [obj.folder],
    ).fetchall()
    return RejectSummary(loaded, rejected, files, rows, max_rate)
