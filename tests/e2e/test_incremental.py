"""Incremental runs give the same warehouse as a full refresh (issue 6).

One real pipeline: a full first run on generated data; then the source systems change as they
do overnight (a 1 % delta drop with updates, new records and deletions; an export re-sent with
corrected content; an export withdrawn) and the nightly run builds incrementally; a copy of
that warehouse is then rebuilt with the documented full-refresh path. Every staging,
intermediate and mart table and the published BI file must be identical.
"""

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.demo import generate
from ingestion.demo.delta import write_delta_drop
from orchestration.defs.dbt.assets import models_in_schema
from orchestration.lib.dagster.pipeline import pipeline_environment
from tests.helpers.pipeline import materialize, query

FIRST_AS_OF = date(2026, 11, 26)
NIGHT = date(2026, 11, 27)
FULL_REFRESH_CONFIG = json.dumps({"ops": {"spm_dbt_models": {"config": {"full_refresh": True}}}})
BASE_MODELS = ("base_salesforce__tasks", "base_salesforce__events")


def _ok(result) -> None:
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def _compiled_base_model(warehouse: Path, model: str) -> str:
    models = warehouse.parent / "dbt_target" / "compiled" / "spm" / "models"
    return (models / "staging" / "salesforce" / "base" / f"{model}.sql").read_text()


def _night_changes(landing: Path) -> dict[str, object]:
    """What the source systems send overnight; returns ids to check against."""
    write_delta_drop(landing, NIGHT, seed=3, share=0.02)
    task_folder = landing / "salesforce" / "Task"
    delta = task_folder / f"Task_{NIGHT:%Y%m%d}T020000Z_delta.csv"
    deleted = duckdb.sql(
        f"select \"Id\" from read_csv('{delta}', all_varchar = true) where \"IsDeleted\" = 'true'"
    ).fetchall()
    # An earlier Task delta export is withdrawn: its records fall back to older versions or go.
    withdrawn = sorted(task_folder.glob("*_delta.csv"))[0]
    withdrawn.unlink()
    # An Event export is re-sent with corrected subjects (same name, new content).
    resent = sorted((landing / "salesforce" / "Event").glob("*_delta.csv"))[0]
    con = duckdb.connect()
    con.execute(f"create table e as select * from read_csv('{resent}', all_varchar = true)")
    con.execute('update e set "Subject" = \'corrected \' || "Subject"')
    con.execute(f"copy e to '{resent}' (header)")
    con.close()
    return {
        "deleted_tasks": [row[0] for row in deleted],
        "withdrawn": withdrawn.relative_to(landing).as_posix(),
        "resent": resent.relative_to(landing).as_posix(),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    generate(root / "landing", scale=0.1, seed=11, as_of=FIRST_AS_OF)
    env = pipeline_environment(root, as_of=FIRST_AS_OF.isoformat())
    _ok(materialize(env))
    changes = _night_changes(root / "landing")
    first_run_sources = _current_versions_by_file(Path(env["SPM_WAREHOUSE"]))
    env["SPM_AS_OF_DATE"] = NIGHT.isoformat()
    _ok(materialize(env))
    incremental_sql = {m: _compiled_base_model(Path(env["SPM_WAREHOUSE"]), m) for m in BASE_MODELS}

    # The full-refresh path, on a copy of the incrementally built warehouse and of the payout
    # ledger (the state a full refresh keeps: its locked quarters are not recomputed).
    full_root = root / "full_refresh"
    full_env = pipeline_environment(full_root, as_of=NIGHT.isoformat())
    full_env["SPM_LANDING_DIR"] = env["SPM_LANDING_DIR"]
    for variable in ("SPM_WAREHOUSE", "SPM_LEDGER_DATABASE"):
        Path(full_env[variable]).parent.mkdir(parents=True)
        shutil.copy(env[variable], full_env[variable])
    _ok(materialize(full_env, "--config-json", FULL_REFRESH_CONFIG))
    full_sql = {m: _compiled_base_model(Path(full_env["SPM_WAREHOUSE"]), m) for m in BASE_MODELS}
    return {
        "locked_quarters": query(Path(env["SPM_LEDGER_DATABASE"]), "select count(*) from locks")[0][
            0
        ],
        "incremental": Path(env["SPM_WAREHOUSE"]),
        "incremental_bi": Path(env["SPM_BI_DATABASE"]),
        "full": Path(full_env["SPM_WAREHOUSE"]),
        "full_bi": Path(full_env["SPM_BI_DATABASE"]),
        "incremental_sql": incremental_sql,
        "full_sql": full_sql,
        "changes": changes,
        "first_run_sources": first_run_sources,
    }


def _current_versions_by_file(warehouse: Path) -> dict[str, int]:
    rows = query(
        warehouse,
        "select _source_file, count(*) from staging.base_salesforce__tasks group by 1 "
        "union all "
        "select _source_file, count(*) from staging.base_salesforce__events group by 1",
    )
    return dict(rows)


def _tables(database: Path, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    listed = ", ".join(f"'{s}'" for s in schemas)
    return query(
        database,
        "select schema_name, table_name from duckdb_tables() "
        f"where schema_name in ({listed}) order by 1, 2",
    )


def _differences(left: Path, right: Path, schemas: tuple[str, ...]) -> dict[str, tuple]:
    """Rows only in one side, per table (as multisets)."""
    differing = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        for schema, table in _tables(left, schemas):
            only = [
                con.execute(
                    f"select count(*) from (select * from {a}.{schema}.{table} "
                    f"except all select * from {b}.{schema}.{table})"
                ).fetchone()[0]
                for a, b in (("l", "r"), ("r", "l"))
            ]
            if any(only):
                differing[f"{schema}.{table}"] = tuple(only)
    return differing


def test_the_nightly_run_took_the_incremental_path(runs):
    for model in BASE_MODELS:
        assert "still_loaded" in runs["incremental_sql"][model], model
        assert "still_loaded" not in runs["full_sql"][model], model


def test_incremental_warehouse_equals_full_refresh(runs):
    schemas = ("staging", "intermediate", "marts")
    left, right = runs["incremental"], runs["full"]
    assert _tables(left, schemas) == _tables(right, schemas)
    assert len(_tables(left, ("marts",))) == len(models_in_schema("marts"))
    assert _differences(left, right, schemas) == {}


def test_published_bi_files_are_identical(runs):
    # Lock columns included: the full refresh kept the ledger's locks and locked nothing anew.
    assert runs["locked_quarters"] > 0
    published = _tables(runs["incremental_bi"], ("marts",))
    assert len(published) == len(models_in_schema("marts"))
    assert _tables(runs["full_bi"], ("marts",)) == published
    assert _differences(runs["incremental_bi"], runs["full_bi"], ("marts",)) == {}


def test_the_night_changes_reached_the_marts(runs):
    """The comparison is not vacuous: deletions, withdrawals and re-sent files took effect."""
    changes = runs["changes"]
    warehouse = runs["incremental"]
    deleted = changes["deleted_tasks"]
    assert deleted
    listed = ", ".join(f"'{i}'" for i in deleted)
    assert query(
        warehouse, f"select count(*) from staging.stg_salesforce__tasks where task_id in ({listed})"
    ) == [(0,)]
    assert query(
        warehouse,
        f"select count(*) from intermediate.int_activities where activity_id in ({listed})",
    ) == [(0,)]
    assert query(
        warehouse,
        f"select count(*) from staging.base_salesforce__tasks "
        f"where task_id in ({listed}) and is_deleted",
    ) == [(len(set(deleted)),)]
    withdrawn = changes["withdrawn"]
    assert runs["first_run_sources"].get(withdrawn, 0) > 0
    assert query(
        warehouse,
        f"select count(*) from staging.base_salesforce__tasks where _source_file = '{withdrawn}'",
    ) == [(0,)]
    assert runs["first_run_sources"].get(changes["resent"], 0) > 0
    corrected = query(
        warehouse,
        "select count(*) from staging.base_salesforce__events "
        f"where _source_file = '{changes['resent']}' and not starts_with(subject, 'corrected ')",
    )
    assert corrected == [(0,)]
    assert (
        query(
            warehouse,
            "select count(*) from staging.base_salesforce__events "
            f"where _source_file = '{changes['resent']}'",
        )[0][0]
        > 0
    )
