"""A run whose dbt inputs did not change does not start dbt, and says so (issue 25).

Real runs on generated data in one folder: the first builds; the second builds again only if
the first locked quarters into the payout ledger (a dbt input); then a run with nothing new
leaves every model as it was, reports each model and test from the recorded build with
``dbt_build`` metadata, and publishes the same marts; a run with the next as-of date builds.
The first run's build, in a new folder, and the next day's find a current partial-parse file
(the first parsed ahead while ingestion and the gate ran, ``orchestration/lib/dbt/parse_ahead.py``).
"""

import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.demo import generate
from orchestration.defs.dbt.assets import MART_KEYS
from orchestration.lib.dagster.event_storage import instance_at
from orchestration.lib.dagster.pipeline import pipeline_environment
from orchestration.lib.dbt import inputs, parse_ahead
from tests.helpers.pipeline import assert_succeeded, latest_run, materialize

AS_OF = date(2026, 11, 26)


def state(warehouse: Path) -> inputs.BuildState | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return inputs.read_state(con)


def marts(bi: Path) -> dict[str, int]:
    """A content hash of every published mart."""
    with duckdb.connect(str(bi), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return {
            t: con.execute(f'select count(*), sum(hash(m)) from marts."{t}" as m').fetchone()
            for (t,) in tables
        }


def last_build_events(target: Path) -> list[str]:
    """The names of the events the last dbt invocation logged (JSON lines in ``dbt.log`` and,
    as dbt rotates it at 10 MB, in ``dbt.log.1``, ``dbt.log.2`` ...)."""

    def events(path: Path) -> list[dict]:
        lines = path.read_text().splitlines()
        return [json.loads(line)["info"] for line in lines if line.startswith("{")]

    last = events(target / "dbt.log")[-1]["invocation_id"]
    logged = [e for path in target.glob("dbt.log*") for e in events(path)]
    return [e["name"] for e in logged if e["invocation_id"] == last]


def parse_ahead_output(target: Path) -> int:
    return (target / parse_ahead.LOG_DIR / parse_ahead.OUTPUT_FILE).stat().st_mtime_ns


def run(env: dict[str, str]) -> str:
    assert_succeeded(materialize(env))
    return latest_run(env["DAGSTER_HOME"]).run_id


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("unchanged")
    generate(root / "landing", scale=0.02, seed=7, as_of=AS_OF)
    env = pipeline_environment(root, AS_OF)
    warehouse, bi = Path(env["SPM_WAREHOUSE"]), Path(env["SPM_BI_DATABASE"])
    run(env)
    target = warehouse.parent / "dbt_target"
    first_build = (last_build_events(target), parse_ahead_output(target))
    second = run(env)  # builds again when the first run locked quarters
    results = target / "run_results.json"
    before = (state(warehouse), marts(bi), results.stat().st_mtime_ns)
    unchanged = run(env)
    with instance_at(env["DAGSTER_HOME"]) as instance:
        mart = instance.get_latest_materialization_event(MART_KEYS[0]).asset_materialization
    after = (state(warehouse), marts(bi), results.stat().st_mtime_ns)
    env["SPM_AS_OF_DATE"] = (AS_OF + timedelta(days=1)).isoformat()
    next_day = run(env)
    next_day_build = (last_build_events(target), parse_ahead_output(target))
    return {
        "builds": (first_build, next_day_build),
        "second": second,
        "unchanged": unchanged,
        "before": before,
        "after": after,
        "mart_metadata": mart.metadata,
        "checks": latest_run_checks(env, unchanged),
        "next_day": next_day,
        "next_day_state": state(warehouse),
    }


def latest_run_checks(env: dict[str, str], run_id: str) -> list:
    with instance_at(env["DAGSTER_HOME"]) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def test_a_run_with_nothing_new_does_not_start_dbt(nights):
    (state_before, marts_before, results_before) = nights["before"]
    (state_after, marts_after, results_after) = nights["after"]
    assert state_before is not None and state_before.models
    assert state_after.run_id == state_before.run_id != nights["unchanged"]
    assert results_after == results_before  # dbt wrote no run results
    assert marts_after == marts_before and marts_after


def test_the_unchanged_run_reports_models_and_tests_from_the_recorded_build(nights):
    built_by = nights["before"][0].run_id
    metadata = nights["mart_metadata"]
    assert metadata["dbt_build"].value.startswith("unchanged")
    assert metadata["built_by_run"].value == built_by
    recorded = {(tuple(c.asset_key), c.check_name): c for c in nights["before"][0].checks}
    dbt_checks = [e for e in nights["checks"] if "built_by_run" in e.metadata]
    assert len(dbt_checks) == len(recorded) > 0
    for evaluation in dbt_checks:
        outcome = recorded[(tuple(evaluation.asset_key.path), evaluation.check_name)]
        assert evaluation.passed == outcome.passed
        assert evaluation.metadata["built_by_run"].value == built_by


def test_the_next_as_of_date_builds(nights):
    assert nights["next_day_state"].run_id == nights["next_day"]


def test_each_build_finds_a_current_partial_parse_file(nights):
    """In a new folder, the build's own parse would be a full one; the run parsed ahead."""
    (first, parsed_first), (next_day, parsed_next_day) = nights["builds"]
    for events in (first, next_day):
        assert "UnableToPartialParse" not in events
        assert "PartialParsingSkipParsing" in events
    # A new date alone (same project and profile) parses nothing ahead.
    assert parsed_next_day == parsed_first
