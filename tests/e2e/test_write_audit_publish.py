"""Write-audit-publish end to end: the real CLI on generated data, the BI file watched byte by byte.

One workspace goes through a sequence of runs, each fixture building on the previous one (a run
costs ~25 s, so they are shared): the session's generated run (copied), a run with a bad split
file, a run with changed amounts killed with SIGKILL during publish, a clean re-run of the same
landing folder with a BI reader holding the file open, a run over the reject threshold. The
tests add landing files (and remove the bad ones again); the assertions read only the BI file,
the warehouse's documented tables and the Dagster instance, not the pipeline's internals.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ingestion.contract import OBJECTS
from orchestration.lib.dagster.event_storage import instance_at
from orchestration.lib.dagster.pipeline import materialize_command, pipeline_environment
from tests.helpers.landing_frames import salesforce_current
from tests.helpers.pipeline import (
    GENERATED_AS_OF,
    REPO_ROOT,
    PipelineRun,
    latest_run,
    materialize,
    query,
)

# Written after the generator's last export of the as-of day, so these versions win the dedupe.
LATE_STAMP = f"{GENERATED_AS_OF.isoformat()}T03:00:00.000Z"
LATE_FILE_STAMP = f"{GENERATED_AS_OF:%Y%m%d}T030000Z"
CHECKSUM_SQL = "select count(*), sum(hash(f)) from marts.fct_opportunities as f"
PUBLISH_TIMEOUT_S = 600
ERROR = dg.AssetCheckSeverity.ERROR
KILL_ATTEMPTS = 3


@dataclass(frozen=True)
class Workspace:
    root: Path
    env: dict[str, str]
    generated_run: "RunFacts"

    @property
    def landing(self) -> Path:
        return Path(self.env["SPM_LANDING_DIR"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["SPM_WAREHOUSE"])

    @property
    def bi(self) -> Path:
        return Path(self.env["SPM_BI_DATABASE"])

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])


@dataclass(frozen=True)
class RunFacts:
    """What the Dagster instance recorded about one run."""

    run_id: str
    status: dg.DagsterRunStatus
    published: bool
    # (check, severity, blocking) of every check that failed in the run
    failed_checks: list[tuple[str, dg.AssetCheckSeverity, bool | None]]
    materialized: frozenset[dg.AssetKey] = frozenset()
    # check -> (passed, severity, step) of every Great Expectations check of the run
    gx_checks: dict[str, tuple[bool, dg.AssetCheckSeverity, str | None]] = field(
        default_factory=dict
    )


def first_difference(left: list[tuple], right: list[tuple]) -> str | None:
    """The first row where two ordered row lists differ: marts must be identical, bit for bit
    (averages are computed from exact integer or decimal sums, so summation order is moot)."""
    if len(left) != len(right):
        return f"{len(left)} rows != {len(right)} rows"
    for a, b in zip(left, right, strict=True):
        if a != b:
            return f"{a} != {b}"
    return None


def latest_run_facts(home: Path) -> RunFacts:
    run = latest_run(home)
    failed = [
        (e.asset_check_key.to_user_string(), e.severity, e.blocking)
        for e in run.check_evaluations
        if not e.passed
    ]
    return RunFacts(
        run.run_id,
        run.status,
        dg.AssetKey("publish") in run.materialized,
        failed,
        frozenset(run.materialized),
        gx_checks(home, run.run_id),
    )


def gx_checks(home: Path, run_id: str) -> dict[str, tuple[bool, dg.AssetCheckSeverity, str | None]]:
    with instance_at(home) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    events = [record.event_log_entry.dagster_event for record in records]
    return {
        e.asset_check_evaluation_data.asset_check_key.to_user_string(): (
            e.asset_check_evaluation_data.passed,
            e.asset_check_evaluation_data.severity,
            e.step_key,
        )
        for e in events
        if e.asset_check_evaluation_data.check_name == "great_expectations"
    }


def marts(database: Path) -> dict[str, list[tuple]]:
    """Every table of schema marts, rows ordered by all columns."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        return {
            t: con.execute(f'select * from marts."{t}" order by all').fetchall() for (t,) in tables
        }


def raw_provenance(warehouse: Path) -> dict[str, list[tuple]]:
    """Per raw table and source file: content hash, load time and rows (provenance,
    docs/architecture.md)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        ).fetchall()
        return {
            t: con.execute(
                f"select _source_file, _file_hash, min(_loaded_at), max(_loaded_at), count(*) "
                f'from raw."{t}" group by all order by all'
            ).fetchall()
            for (t,) in tables
        }


def publishing_files(bi: Path) -> list[str]:
    return sorted(p.name for p in bi.parent.iterdir() if ".publishing" in p.name)


def write_salesforce_delta(landing: Path, name: str, rows: pd.DataFrame) -> Path:
    """A new Salesforce delta export of ``rows`` (as text), stamped after every other file."""
    rows = rows.drop(columns=[c for c in rows.columns if c.startswith("_")])
    rows = rows.assign(SystemModstamp=LATE_STAMP)
    if "LastModifiedDate" in rows:
        rows = rows.assign(LastModifiedDate=LATE_STAMP)
    path = landing / "salesforce" / name / f"{name}_{LATE_FILE_STAMP}_delta.csv"
    rows.to_csv(path, index=False)
    return path


def open_opportunities(landing: Path, count: int) -> pd.DataFrame:
    rows = salesforce_current(landing, "Opportunity")
    rows = rows[(rows["IsClosed"] == "false") & rows["Amount"].str.fullmatch(r"\d+")]
    assert len(rows) >= count, "the generated data has too few open opportunities"
    return rows.sort_values("Id").head(count)


def add_amount_changes(landing: Path) -> Path:
    """25 open opportunities grow by 1000: fct_opportunities changes, every check still passes."""
    rows = open_opportunities(landing, 25)
    rows = rows.assign(Amount=(rows["Amount"].astype(int) + 1000).astype(str))
    return write_salesforce_delta(landing, "Opportunity", rows)


def add_split_not_summing_to_100(landing: Path) -> Path:
    """One split of a won opportunity loses 10 points: its credits sum to 90 %."""
    won = salesforce_current(landing, "Opportunity")
    won = set(won.loc[won["IsWon"] == "true", "Id"])
    splits = salesforce_current(landing, "OpportunitySplit")
    splits = splits[
        splits["OpportunityId"].isin(won)
        & splits["SplitPercentage"].str.fullmatch(r"\d+")
        & (pd.to_numeric(splits["SplitPercentage"], errors="coerce") >= 20)
    ]
    row = splits.sort_values("Id").head(1)
    assert len(row) == 1, "the generated data has no split of a won opportunity"
    row = row.assign(SplitPercentage=(row["SplitPercentage"].astype(int) - 10).astype(str))
    return write_salesforce_delta(landing, "OpportunitySplit", row)


def add_unparseable_amounts(landing: Path) -> tuple[Path, float]:
    """A delta whose 30 rows all have an Amount that is no number; returns the object's rate."""
    rows = open_opportunities(landing, 30).assign(Amount="12O00")
    total = sum(
        len(pd.read_csv(p, dtype=str)) for p in (landing / "salesforce/Opportunity").glob("*.csv")
    )
    return write_salesforce_delta(landing, "Opportunity", rows), len(rows) / (total + len(rows))


def run(workspace: Workspace) -> tuple[subprocess.CompletedProcess, RunFacts]:
    result = materialize(workspace.env)
    return result, latest_run_facts(workspace.dagster_home)


def tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def workspace(generated_run: PipelineRun, tmp_path_factory) -> Workspace:
    """A copy of the session's generated run: landing, warehouse, BI file and Dagster instance."""
    root = tmp_path_factory.mktemp("write_audit_publish")
    shutil.copytree(generated_run.landing.parent, root, dirs_exist_ok=True)
    env = pipeline_environment(root, as_of=GENERATED_AS_OF.isoformat())
    return Workspace(root, env, latest_run_facts(Path(env["DAGSTER_HOME"])))


@dataclass(frozen=True)
class BlockedRun:
    result: subprocess.CompletedProcess
    facts: RunFacts
    bi_before: bytes
    bi_after: bytes
    reject_rate: float | None = None


@pytest.fixture(scope="module")
def failed_check_run(workspace: Workspace) -> BlockedRun:
    before = workspace.bi.read_bytes()
    bad = add_split_not_summing_to_100(workspace.landing)
    try:
        result, facts = run(workspace)
    finally:
        bad.unlink()
    return BlockedRun(result, facts, before, workspace.bi.read_bytes())


@dataclass(frozen=True)
class KilledRun:
    killed_during_publish: bool
    temp_files_after_kill: list[str]
    bi_before: bytes
    bi_after: bytes
    output: str
    # what the killed run had built in the warehouse before publish
    marts: dict[str, list[tuple]]
    provenance: dict[str, list[tuple]]


def kill_during_publish(workspace: Workspace, log: Path) -> int | None:
    """Start the CLI and SIGKILL its process group once publish has created its temp file.

    Returns None when killed, else the exit code of a run that ended before the kill.
    """
    with log.open("w") as out:
        process = subprocess.Popen(
            materialize_command(),
            cwd=REPO_ROOT,
            env=workspace.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if any(e.name.endswith(".publishing") for e in os.scandir(workspace.bi.parent)):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return None
                if process.poll() is not None:
                    return process.returncode
                time.sleep(0.001)
            raise TimeoutError(f"no publish within {PUBLISH_TIMEOUT_S} s, see {log}")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def killed_run(failed_check_run: BlockedRun, workspace: Workspace) -> KilledRun:
    log = workspace.root / "killed_run.log"
    # Publish takes ~100 ms and the poll 1 ms; should the run still publish before the kill
    # (a very busy machine), change the amounts again and retry.
    for _ in range(KILL_ATTEMPTS):
        add_amount_changes(workspace.landing)
        before = workspace.bi.read_bytes()
        exit_code = kill_during_publish(workspace, log)
        if exit_code != 0:
            break
    return KilledRun(
        exit_code is None,
        publishing_files(workspace.bi),
        before,
        workspace.bi.read_bytes(),
        log.read_text()[-3000:],
        marts(workspace.warehouse),
        raw_provenance(workspace.warehouse),
    )


READER = textwrap.dedent(
    f"""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute({CHECKSUM_SQL!r}).fetchone(), flush=True)
    sys.stdin.readline()
    print(con.execute({CHECKSUM_SQL!r}).fetchone(), flush=True)
    """
)


@dataclass(frozen=True)
class ReadThroughRun:
    result: subprocess.CompletedProcess
    facts: RunFacts
    reader_before: str
    reader_after: str
    reader_returncode: int
    new_connection: str
    warehouse_marts: str
    files_after: list[str]
    marts: dict[str, list[tuple]]
    provenance: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def clean_rerun(killed_run: KilledRun, workspace: Workspace) -> ReadThroughRun:
    """The killed run's landing folder again, with a BI reader holding the file open throughout."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(workspace.bi)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        reader_before = reader.stdout.readline().strip()
        result, facts = run(workspace)
        reader_after, _ = reader.communicate("\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    return ReadThroughRun(
        result,
        facts,
        reader_before,
        reader_after.strip(),
        reader.returncode,
        str(query(workspace.bi, CHECKSUM_SQL)[0]),
        str(query(workspace.warehouse, CHECKSUM_SQL)[0]),
        sorted(p.name for p in workspace.bi.parent.iterdir()),
        marts(workspace.bi),
        raw_provenance(workspace.warehouse),
    )


@pytest.fixture(scope="module")
def over_threshold_run(clean_rerun: ReadThroughRun, workspace: Workspace) -> BlockedRun:
    before = workspace.bi.read_bytes()
    bad, rate = add_unparseable_amounts(workspace.landing)
    try:
        result, facts = run(workspace)
    finally:
        bad.unlink()
    return BlockedRun(result, facts, before, workspace.bi.read_bytes(), reject_rate=rate)


def test_a_failed_warning_check_does_not_block_publish(workspace: Workspace):
    facts = workspace.generated_run
    assert facts.status == dg.DagsterRunStatus.SUCCESS
    assert facts.published
    # The dbt test `commission_quota_present` (severity warn) on the statements.
    quota_check = "marts/mart_commission_statements:commission_quota_present_mart_commission_"
    quota = [f for f in facts.failed_checks if f[0].startswith(quota_check)]
    assert quota == [
        (
            "marts/mart_commission_statements:commission_quota_present_mart_commission_statements_",
            dg.AssetCheckSeverity.WARN,
            False,
        )
    ]
    assert query(workspace.bi, "select count(*) from marts.mart_commission_statements")[0][0] > 0


def test_a_failed_blocking_check_blocks_publish_and_leaves_the_bi_file_byte_identical(
    failed_check_run: BlockedRun,
):
    run_ = failed_check_run
    assert run_.result.returncode != 0, tail(run_.result)
    assert run_.facts.status == dg.DagsterRunStatus.FAILURE
    assert not run_.facts.published
    blocking_failures = [
        name
        for name, severity, blocking in run_.facts.failed_checks
        if severity == dg.AssetCheckSeverity.ERROR and blocking
    ]
    split_check = "raw/salesforce/opportunity_split:great_expectations"
    assert blocking_failures == [split_check], run_.facts.failed_checks
    assert run_.bi_after == run_.bi_before
    # The raw gate is one step: the split suite failed there, every other suite reported beside
    # it without an error, and nothing downstream of the raw objects was built.
    gx = run_.facts.gx_checks
    assert len(gx) == len(OBJECTS)
    assert {step for _, _, step in gx.values()} == {"raw_great_expectations"}
    errors = [k for k, (passed, sev, _) in gx.items() if not passed and sev == ERROR]
    assert errors == [split_check], gx
    assert run_.facts.materialized
    assert all(key.path[0] == "raw" for key in run_.facts.materialized), run_.facts.materialized


def test_a_run_killed_during_publish_leaves_the_bi_file_byte_identical(killed_run: KilledRun):
    assert killed_run.killed_during_publish, killed_run.output
    # the temp file of the interrupted publish is still there: the kill landed before the rename
    assert [
        name
        for name in killed_run.temp_files_after_kill
        if re.fullmatch(r"\.spm\.duckdb\.[0-9a-f]{32}\.publishing", name)
    ], killed_run.temp_files_after_kill
    assert killed_run.bi_after == killed_run.bi_before


def test_a_clean_rerun_after_the_kill_publishes_and_removes_the_temp_files(
    killed_run: KilledRun, clean_rerun: ReadThroughRun
):
    assert clean_rerun.result.returncode == 0, tail(clean_rerun.result)
    assert clean_rerun.facts.published
    assert clean_rerun.files_after == ["spm.duckdb"]
    assert clean_rerun.new_connection == clean_rerun.warehouse_marts
    assert clean_rerun.new_connection != clean_rerun.reader_before  # the killed run's changes


def test_a_reader_holding_the_bi_file_keeps_its_marts_and_does_not_block_the_run(
    clean_rerun: ReadThroughRun,
):
    assert clean_rerun.result.returncode == 0, tail(clean_rerun.result)
    assert clean_rerun.reader_returncode == 0
    assert clean_rerun.reader_before.startswith("(")
    assert clean_rerun.reader_after == clean_rerun.reader_before
    assert clean_rerun.new_connection != clean_rerun.reader_before


def test_a_rerun_of_the_same_landing_folder_gives_identical_marts_and_loads_no_file_again(
    killed_run: KilledRun, clean_rerun: ReadThroughRun
):
    """The killed run built its marts completely (publish was under way): the re-run of the
    same landing folder publishes the same rows and loads no landing file again."""
    assert clean_rerun.result.returncode == 0, tail(clean_rerun.result)
    assert clean_rerun.marts.keys() == killed_run.marts.keys()
    assert len(clean_rerun.marts) >= 3
    for table, rows in killed_run.marts.items():
        assert first_difference(rows, clean_rerun.marts[table]) is None, table
    # the same files with the same hashes and load times
    assert clean_rerun.provenance == killed_run.provenance
    assert sum(len(files) for files in clean_rerun.provenance.values()) > 20


def test_a_run_over_the_reject_threshold_leaves_the_bi_file_unchanged(
    over_threshold_run: BlockedRun,
):
    run_ = over_threshold_run
    assert run_.reject_rate > 0.01
    assert run_.result.returncode != 0, tail(run_.result)
    assert not run_.facts.published
    assert run_.bi_after == run_.bi_before
