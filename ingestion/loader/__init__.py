"""Load landing CSV files into the working DuckDB's ``raw`` schema; quarantine what is broken.

Every file is parsed by DuckDB's own CSV reader as text, then typed in SQL with the contract's
types. Bad input never stops the load:

- a record the reader cannot split into the header's fields (wrong field count, a stray quote),
  a value that does not parse as its type, or a value outside the contract's enumeration goes
  to ``audit.rejected_rows`` with file, line, column, reason and the raw record; the file's other
  rows load;
- a file that cannot be read as a whole (not UTF-8, no header, a required column missing, line
  endings that change mid-file, an unterminated quote that runs to the end) goes to
  ``audit.rejected_files`` with the reason, line and column; nothing of it is loaded (rows of an
  earlier version are removed) and the object's other files still load. It is tried again when
  its content changes.

Loading is idempotent per file: a file whose content hash was already loaded (or rejected) is
skipped, a changed file replaces its earlier rows, and rows and audit rows of files that left the
landing folder are removed, so ``raw`` mirrors the landing folder. The landing files are only ever
read. One object is one transaction; every file is read and judged before it starts, because any
DuckDB error inside a transaction aborts it.

The modules, by concern: ``load`` (an object's files into its raw table, one transaction),
``judge`` (one file: readable, its header, staged into temp tables), ``line_numbers`` (the
physical line every record starts on, around records the reader skips), ``values`` (typing
each value by the contract, rejecting what does not parse) and ``audit`` (the ``audit`` tables:
loaded files, rejected rows and files).
"""

from ingestion.loader.audit import FileRejection, ensure_audit_tables
from ingestion.loader.line_numbers import record_shifts
from ingestion.loader.load import ObjectLoadResult, ensure_raw_table, load_object

__all__ = [
    "FileRejection",
    "ObjectLoadResult",
    "ensure_audit_tables",
    "ensure_raw_table",
    "load_object",
    "record_shifts",
]
