"""Whether a dbt build would change anything: a fingerprint of everything the build reads.

A ``dbt build`` on DuckDB reads the project (its parse fingerprint: every file ``dbt parse``
reads, and dbt's version), the environment the orchestrator hands dbt (the as-of date, the
warehouse) and the source tables of the warehouse (the manifest's ``sources``: the raw objects
and the ledger copy). Nothing else: the models use no clock of their own (``macros/as_of.sql``).
When none of these changed since the last build that succeeded for the same models, building
again gives the same tables and the same test results.

A source table's signature is computed in DuckDB (``spm_common.fingerprints.table_signature``):
rows added, removed or reloaded change it.

The state of the last successful build is kept in the warehouse itself (``BUILD_STATE``, in the
audit schema): the fingerprint, the run, which models and checks it built and what the checks
said. Rebuilding the warehouse drops it, so a rebuilt warehouse is always built.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from spm_common.fingerprints import table_signature
from spm_common.schemas import AUDIT_SCHEMA

BUILD_STATE = f"{AUDIT_SCHEMA}.dbt_build_state"


def fingerprint(
    con: duckdb.DuckDBPyConnection,
    sources: Iterable[tuple[str, str]],
    project: str,
    environment: Mapping[str, str],
) -> str:
    """SHA-256 of the project fingerprint, the dbt environment and every source's signature."""
    parts = {
        "project": project,
        "environment": dict(sorted(environment.items())),
        "sources": {
            f"{schema}.{table}": table_signature(con, schema, table)
            for schema, table in sorted(set(sources))
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CheckOutcome:
    """What a dbt test said in the build, as Dagster reported it."""

    asset_key: Sequence[str]
    check_name: str
    passed: bool
    severity: str  # "ERROR" or "WARN"
    description: str | None = None


@dataclass
class BuildState:
    """The last successful build: its fingerprint, run, built models and check outcomes."""

    fingerprint: str
    run_id: str
    built_at: datetime.datetime
    models: list[list[str]] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)

    def covers(self, models: Iterable[Sequence[str]], checks: Iterable[tuple]) -> bool:
        """Whether this build built every model and ran every check of a selection."""
        built = {tuple(m) for m in self.models}
        ran = {(tuple(c.asset_key), c.check_name) for c in self.checks}
        return {tuple(m) for m in models} <= built and set(checks) <= ran


def read_state(con: duckdb.DuckDBPyConnection) -> BuildState | None:
    """The last successful build's state, None when there is none (or it cannot be read)."""
    try:
        row = con.execute(
            f"select fingerprint, run_id, built_at, models, checks from {BUILD_STATE}"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    fingerprint_, run_id, built_at, models, checks = row
    return BuildState(
        fingerprint_,
        run_id,
        built_at,
        json.loads(models),
        [CheckOutcome(**c) for c in json.loads(checks)],
    )


def write_state(con: duckdb.DuckDBPyConnection, state: BuildState) -> None:
    """Replace the recorded state with ``state`` (one row)."""
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"create or replace table {BUILD_STATE} (fingerprint varchar, run_id varchar, "
        "built_at timestamptz, models json, checks json)"
    )
    con.execute(
        f"insert into {BUILD_STATE} values (?, ?, ?, ?, ?)",
        [
            state.fingerprint,
            state.run_id,
            state.built_at,
            json.dumps(state.models),
            json.dumps([c.__dict__ | {"asset_key": list(c.asset_key)} for c in state.checks]),
        ],
    )


def forget_state(con: duckdb.DuckDBPyConnection) -> None:
    """No build is recorded any more: the next build runs whatever the fingerprint."""
    con.execute(f"drop table if exists {BUILD_STATE}")


def outcome_of(result: Any) -> CheckOutcome:
    """A Dagster ``AssetCheckResult`` as a ``CheckOutcome``."""
    return CheckOutcome(
        asset_key=list(result.asset_key.path),
        check_name=result.check_name,
        passed=bool(result.passed),
        severity=result.severity.value,
        description=result.description,
    )
