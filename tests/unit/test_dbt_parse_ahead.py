"""The background ``dbt parse`` of a run (orchestration/lib/dbt/parse_ahead.py), with a stand-in
dbt executable; tests/e2e/test_unchanged_inputs.py checks the real build finds its file."""

import os
import re
import stat
import time
from pathlib import Path

import pytest

from orchestration.lib.dbt import parse_ahead

# Writes the partial-parse file into --target-path, after STANDIN_SLEEP seconds, and exits with
# STANDIN_EXIT; records its arguments.
STANDIN = """#!/bin/sh
echo "$@" > "$STANDIN_ARGS"
sleep "${STANDIN_SLEEP:-0}"
while [ $# -gt 0 ]; do
  if [ "$1" = "--target-path" ]; then echo parsed > "$2/partial_parse.msgpack"; fi
  shift
done
echo "standin output"
exit "${STANDIN_EXIT:-0}"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "models").mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: p\nmodel-paths: [models]\n")
    (folder / "models" / "a.sql").write_text("select 1 as a\n")
    return folder


@pytest.fixture
def standin(tmp_path: Path) -> Path:
    path = tmp_path / "dbt"
    path.write_text(STANDIN)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "SPM_WAREHOUSE": str(tmp_path / "w" / "spm.duckdb"),
        "SPM_AS_OF_DATE": "2026-11-26",
        "STANDIN_ARGS": str(tmp_path / "args.txt"),
        **extra,
    }


def begin(
    standin: Path, project: Path, target: Path, env: dict, **extra: str
) -> parse_ahead.ParseAhead:
    return parse_ahead.start(str(standin), project, project, target, {**env, **extra})


def test_the_record_covers_the_profile_variables_but_not_the_as_of_date(tmp_path, project):
    env = environment(tmp_path)
    assert parse_ahead.parse_environment({**env, "HOME": "/x"}) == {
        "SPM_WAREHOUSE": env["SPM_WAREHOUSE"]
    }
    base = parse_ahead.parse_fingerprint(project, env)
    next_day = {**env, "SPM_AS_OF_DATE": "2026-11-27"}
    assert parse_ahead.parse_fingerprint(project, next_day) == base
    other_warehouse = {**env, "SPM_WAREHOUSE": "/elsewhere/spm.duckdb"}
    assert parse_ahead.parse_fingerprint(project, other_warehouse) != base
    assert parse_ahead.parse_fingerprint(project, {**env, "DBT_PROFILES_DIR": "/p"}) != base
    (project / "models" / "b.sql").write_text("select 2 as b\n")
    assert parse_ahead.parse_fingerprint(project, env) != base


def test_a_parse_runs_when_the_folder_has_no_current_file_and_not_again(tmp_path, project, standin):
    target = tmp_path / "w" / "dbt_target"
    env = environment(tmp_path)
    first = begin(standin, project, target, env, STANDIN_SLEEP="0.5")
    assert first.process is not None
    time.sleep(1.5)  # the step asks later than the parse ends: its time, not the step's
    took = float(re.search(r"ran ahead in ([0-9.]+) s \(0\.0 s", first.wait()).group(1))
    assert 0.5 <= took < 1.4
    assert (target / "partial_parse.msgpack").read_text() == "parsed\n"
    args = (tmp_path / "args.txt").read_text().split()
    assert args[0] == "parse"
    assert args[args.index("--target-path") + 1] == str(target)
    assert args[args.index("--log-path") + 1] == str(target / parse_ahead.LOG_DIR)
    assert parse_ahead.is_current(target, parse_ahead.parse_fingerprint(project, env))
    # The next night: another date, same project and profile: nothing to parse.
    again = begin(standin, project, target, {**env, "SPM_AS_OF_DATE": "2026-11-27"})
    assert again.process is None
    assert "nothing parsed ahead" in again.wait()
    # A project file changed: parse again.
    (project / "models" / "a.sql").write_text("select 11 as a\n")
    changed = begin(standin, project, target, env)
    assert changed.process is not None
    changed.wait()
    # The partial-parse file gone (deleted by hand): parse again.
    (target / "partial_parse.msgpack").unlink()
    assert begin(standin, project, target, env).process is not None


def test_a_failed_parse_is_reported_and_leaves_no_record(tmp_path, project, standin):
    target = tmp_path / "w" / "dbt_target"
    handle = begin(standin, project, target, environment(tmp_path, STANDIN_EXIT="2"))
    outcome = handle.wait()
    assert "failed (exit 2" in outcome
    assert str(target / parse_ahead.LOG_DIR / parse_ahead.OUTPUT_FILE) in outcome
    assert "standin output" in (target / parse_ahead.LOG_DIR / parse_ahead.OUTPUT_FILE).read_text()
    assert not (target / parse_ahead.RECORD_FILE).exists()
    assert handle.wait() == outcome  # asked twice, one answer


def test_a_record_is_dropped_when_a_new_parse_starts(tmp_path, project, standin):
    """A parse stopped halfway must not leave the old record claiming its half-written file."""
    target = tmp_path / "w" / "dbt_target"
    env = environment(tmp_path)
    begin(standin, project, target, env).wait()
    assert (target / parse_ahead.RECORD_FILE).exists()
    (project / "models" / "a.sql").write_text("select 12 as a\n")
    handle = begin(standin, project, target, {**env, "STANDIN_SLEEP": "30"})
    assert not (target / parse_ahead.RECORD_FILE).exists()
    started = time.monotonic()
    handle.stop()
    assert time.monotonic() - started < 10
    assert handle.process.returncode is not None
    assert not (target / parse_ahead.RECORD_FILE).exists()
