"""A landing file still being written when the run reads it (issue 24), through the real CLI.

An Opportunity delta export lands half-written; the exporter appends the rest while the run is
loading it (a `sitecustomize` on the run's PYTHONPATH appends right after the loader has read the
file: the moment a non-atomic export would). That run publishes nothing: the Opportunity check
blocks, naming the file as "still being written", and the BI file keeps every byte. The next run,
with the export finished, loads the file whole and publishes all of its rows.
"""

import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.dagster.pipeline import pipeline_environment
from tests.e2e.test_write_audit_publish import (
    latest_run_facts,
    open_opportunities,
    write_salesforce_delta,
)
from tests.helpers.pipeline import GENERATED_AS_OF, PipelineRun, materialize

APPEND_VARIABLE = "TEST_APPEND_DURING_LOAD"
HOOK = """
import os
import sys

_target = os.environ.get("TEST_APPEND_DURING_LOAD")
if _target and os.path.basename(sys.argv[0]).startswith("dagster"):
    import ingestion.loader.load as _load

    _path, _rest = _target.split(os.pathsep)
    _judge = _load.judge_file
    _done = []

    def _judge_while_the_export_writes(con, obj, path, *args, **kwargs):
        outcome = _judge(con, obj, path, *args, **kwargs)
        if str(path) == _path and not _done:
            with open(_path, "a") as target, open(_rest) as rest:
                target.write(rest.read())
            _done.append(True)
        return outcome

    _load.judge_file = _judge_while_the_export_writes
"""


def bi_amounts(bi: Path, ids: list[str]) -> dict[str, float]:
    with duckdb.connect(str(bi), read_only=True) as con:
        rows = con.execute(
            "select opportunity_id, amount from marts.fct_opportunities "
            "where list_contains($ids, opportunity_id)",
            {"ids": ids},
        ).fetchall()
    return {i: float(a) for i, a in rows}


@pytest.fixture(scope="module")
def workspace(generated_run: PipelineRun, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("unsettled_landing")
    shutil.copytree(generated_run.landing.parent, root, dirs_exist_ok=True)
    return root


def test_a_file_written_during_the_run_publishes_nothing_until_it_is_whole(workspace: Path):
    env = pipeline_environment(workspace, as_of=GENERATED_AS_OF.isoformat())
    landing, bi = Path(env["SPM_LANDING_DIR"]), Path(env["SPM_BI_DATABASE"])
    rows = open_opportunities(landing, 20)
    rows = rows.assign(Amount=(rows["Amount"].astype(int) + 777).astype(str))
    ids = sorted(rows["Id"])
    expected = {i: float(a) for i, a in zip(rows["Id"], rows["Amount"], strict=True)}
    before_amounts = bi_amounts(bi, ids)
    assert before_amounts and all(before_amounts[i] != expected[i] for i in before_amounts)

    # The whole export, then split: the header and the first half land now, the rest later.
    export = write_salesforce_delta(landing, "Opportunity", rows)
    lines = export.read_text().splitlines(keepends=True)
    half = 1 + len(rows) // 2
    rest = workspace / "rest_of_the_export.csv"
    rest.write_text("".join(lines[half:]))
    export.write_text("".join(lines[:half]))

    hook = workspace / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    bi_before = bi.read_bytes()
    writing = {
        **env,
        "PYTHONPATH": os.pathsep.join([str(hook), env["PYTHONPATH"]]),
        APPEND_VARIABLE: os.pathsep.join([str(export), str(rest)]),
    }
    first = materialize(writing)
    facts = latest_run_facts(Path(env["DAGSTER_HOME"]))
    assert export.read_text() == "".join(lines), "the hook did not finish the export"
    assert first.returncode != 0, first.stdout[-3000:]
    assert facts.status == dg.DagsterRunStatus.FAILURE
    assert not facts.published
    assert bi.read_bytes() == bi_before, "a run that read a half-written file changed the BI file"
    blocked = [name for name, _, blocking in facts.failed_checks if blocking]
    assert "raw/salesforce/opportunity:rejects_within_threshold" in blocked, facts.failed_checks
    rel = export.relative_to(landing).as_posix()
    with duckdb.connect(env["SPM_WAREHOUSE"], read_only=True) as con:
        reasons = con.execute(
            "select reason from audit.rejected_files where source_file = ?", [rel]
        ).fetchall()
    assert reasons and reasons[0][0].startswith("still being written: its size ("), reasons
    assert "still being written" in first.stdout + first.stderr

    # The export is whole now: the next run loads it, every row, and publishes.
    second = materialize(env)
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr[-5000:]
    assert latest_run_facts(Path(env["DAGSTER_HOME"])).published
    assert bi_amounts(bi, ids) == expected
    with duckdb.connect(env["SPM_WAREHOUSE"], read_only=True) as con:
        loaded = con.execute(
            "select count(*) from raw.salesforce__opportunity where _source_file = ?", [rel]
        ).fetchone()[0]
    assert loaded == len(rows)
