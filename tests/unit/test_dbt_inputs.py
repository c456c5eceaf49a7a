"""The fingerprint of a dbt build's inputs changes exactly when a build could change something."""

import datetime

import duckdb
import pytest

from orchestration.lib.dbt import inputs
from spm_common.fingerprints import table_signature

SOURCES = [("raw", "opportunity"), ("ledger", "locks")]
ENV = {"SPM_AS_OF_DATE": "2026-11-26", "SPM_WAREHOUSE": "/w/spm.duckdb"}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema raw; create schema ledger")
    con.execute(
        "create table raw.opportunity as select 'o' || i as id, 'f.csv' as _source_file, "
        "i + 2 as _source_line, 'h1' as _file_hash, "
        "timestamp '2026-11-26 02:00' as _loaded_at from range(5) r(i)"
    )
    con.execute("create table ledger.locks as select date '2026-01-01' as quarter_start")
    yield con
    con.close()


def fp(con, project="p1", env=ENV):
    return inputs.fingerprint(con, SOURCES, project, env)


def test_the_same_inputs_give_the_same_fingerprint(con):
    assert fp(con) == fp(con)
    con.execute("create or replace table ledger.locks as select date '2026-01-01' as quarter_start")
    assert fp(con) == fp(con)  # the ledger copied again, same rows


@pytest.mark.parametrize(
    "change",
    [
        "insert into raw.opportunity values ('o9', 'g.csv', 2, 'h2', timestamp '2026-11-27 02:00')",
        "delete from raw.opportunity where id = 'o3'",
        "update raw.opportunity set _loaded_at = timestamp '2026-11-27 02:00' where id = 'o1'",
        "update raw.opportunity set _file_hash = 'h3'",  # the file re-sent with other content
        "insert into ledger.locks values (date '2026-04-01')",
        "update ledger.locks set quarter_start = date '2025-10-01'",
        "drop table ledger.locks",
        "alter table raw.opportunity add column Region varchar",
    ],
)
def test_a_source_change_changes_the_fingerprint(con, change):
    before = fp(con)
    con.execute(change)
    assert fp(con) != before


def test_the_project_and_environment_are_inputs(con):
    assert fp(con, project="p2") != fp(con)
    assert fp(con, env={**ENV, "SPM_AS_OF_DATE": "2026-11-27"}) != fp(con)


def test_a_missing_table_has_a_signature_of_its_own(con):
    assert table_signature(con, "raw", "nothing") == "missing"
    assert table_signature(con, "raw", "opportunity").startswith("5:")


def test_the_state_round_trips_and_can_be_forgotten(con):
    assert inputs.read_state(con) is None
    state = inputs.BuildState(
        "abc",
        "run-1",
        datetime.datetime(2026, 11, 26, 2, tzinfo=datetime.UTC),
        [["marts", "m1"], ["marts", "m2"]],
        [inputs.CheckOutcome(["marts", "m1"], "not_null_m1_id", False, "WARN", "1 row")],
    )
    inputs.write_state(con, state)
    read = inputs.read_state(con)
    assert (read.fingerprint, read.run_id, read.models) == ("abc", "run-1", state.models)
    assert read.built_at == state.built_at and read.checks == state.checks
    inputs.forget_state(con)
    assert inputs.read_state(con) is None


def test_a_state_covers_only_what_its_build_built():
    state = inputs.BuildState(
        "abc",
        "run-1",
        datetime.datetime.now(datetime.UTC),
        [["marts", "m1"]],
        [inputs.CheckOutcome(["marts", "m1"], "c", True, "ERROR")],
    )
    assert state.covers([["marts", "m1"]], [(("marts", "m1"), "c")])
    assert state.covers([], [])
    assert not state.covers([["marts", "m2"]], [])
    assert not state.covers([["marts", "m1"]], [(("marts", "m1"), "other")])
