"""The code location loads, and its graph is one piece: ingestion -> dbt -> publish."""

import json
import re

import dagster as dg
import pytest

from ingestion.contract import OBJECTS
from orchestration.definitions import defs
from orchestration.defs.dbt.assets import MART_KEYS, model_key, models_in_schema
from orchestration.defs.resources import SpmSettings, settings_from_env
from orchestration.lib.dagster.keys import ledger_asset_keys, raw_asset_key
from orchestration.lib.dbt.project import spm_dbt_project
from spm_common.settings import PROJECT_ROOT, resolve_path


@pytest.fixture(scope="module")
def asset_graph():
    dg.Definitions.validate_loadable(defs)
    return defs.resolve_asset_graph()


def test_every_landing_object_has_an_ingestion_asset(asset_graph):
    keys = asset_graph.get_all_asset_keys()
    for obj in OBJECTS:
        assert raw_asset_key(obj.source, obj.name) in keys, obj.folder


def test_dbt_sources_are_the_ingestion_assets(asset_graph):
    parents = asset_graph.get(model_key("stg_salesforce__opportunities")).parent_keys
    assert parents == {raw_asset_key("salesforce", "Opportunity")}


def test_every_ingestion_asset_waits_for_the_verified_ledger(asset_graph):
    # A tampered ledger fails payout_ledger; nothing that depends on it is loaded or run.
    ledger = set(ledger_asset_keys().values())
    for obj in OBJECTS:
        assert ledger <= asset_graph.get(raw_asset_key(obj.source, obj.name)).parent_keys, obj.name
    assert asset_graph.get(next(iter(ledger))).parent_keys == set()


def test_publish_waits_for_every_mart(asset_graph):
    names = {key.path[-1] for key in MART_KEYS}
    assert {"dim_reps", "fct_opportunities", "mart_pipeline_monthly"} <= names
    published = set(models_in_schema("marts"))  # the marts and MetricFlow's time spine
    assert published == set(MART_KEYS) | {model_key("metricflow_time_spine")}
    assert asset_graph.get(dg.AssetKey("publish")).parent_keys == published


def test_every_mart_model_is_published_and_its_grain_is_enforced():
    """A mart is its SQL and its yml: published with no Python change, its grain a primary key
    (or unique) constraint of its enforced contract, which DuckDB checks as the table is built."""
    models = {p.stem for p in (PROJECT_ROOT / "dbt_project/models/marts").rglob("*.sql")}
    assert {model_key(name) for name in models} == set(MART_KEYS)
    assert set(MART_KEYS) <= set(models_in_schema("marts"))  # what publish copies
    manifest = json.loads(spm_dbt_project().manifest_path.read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    marts = [n for n in marts if n["name"] in models]
    assert len(marts) == len(models)
    for node in marts:
        assert node["config"]["contract"]["enforced"], node["name"]
        keys = [c for c in node["constraints"] if c["type"] in ("primary_key", "unique")]
        keys += [
            c
            for column in node["columns"].values()
            for c in column["constraints"]
            if c["type"] in ("primary_key", "unique")
        ]
        assert keys, f"{node['name']} has no primary key or unique constraint"


def test_asset_keys_of_dbt_models_come_from_dagster_dbt():
    """No Python module spells a dbt model's asset key: they come from the dbt assets."""
    literal = re.compile(r"AssetKey\(\s*\[\s*[\"'](staging|intermediate|marts)[\"']")
    for path in (PROJECT_ROOT / "orchestration").rglob("*.py"):
        assert not literal.search(path.read_text()), path


def test_dbt_tests_are_asset_checks(asset_graph):
    checks = {key.name for key in asset_graph.asset_check_keys}
    assert any(name.startswith("relationships_fct_opportunities_owner_rep_id") for name in checks)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPM_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("SPM_AS_OF_DATE", "2025-06-30")
    monkeypatch.delenv("SPM_BI_DATABASE", raising=False)
    settings = settings_from_env()
    assert isinstance(settings.landing_dir, dg.EnvVar)
    assert settings.bi_database == "data/bi/spm.duckdb"
    resolved = SpmSettings(landing_dir=str(tmp_path), as_of_date="2025-06-30")
    assert resolved.landing_path == tmp_path
    assert resolved.as_of().isoformat() == "2025-06-30"
    assert resolve_path("data/x").is_absolute()


def test_nightly_dbt_build_runs_data_tests_but_not_unit_tests(tmp_path):
    from orchestration.defs.dbt.assets import dbt_build_args

    settings = SpmSettings(
        landing_dir=str(tmp_path / "landing"),
        warehouse=str(tmp_path / "w.duckdb"),
        bi_database=str(tmp_path / "bi.duckdb"),
        as_of_date="2026-11-26",
    )
    nightly = dbt_build_args()
    assert nightly[0] == "build"
    assert nightly[nightly.index("--exclude-resource-type") + 1] == "unit_test"
    assert "--full-refresh" not in nightly
    # The date and the warehouse are environment variables, never --vars (partial parsing).
    assert "--vars" not in nightly
    assert settings.dbt_environment() == {
        "SPM_DBT_TARGET": "duckdb",
        "SPM_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "SPM_AS_OF_DATE": "2026-11-26",
    }
    assert dbt_build_args(full_refresh=True)[-1] == "--full-refresh"


def test_the_dbt_step_takes_a_full_refresh_flag():
    job = defs.resolve_implicit_global_asset_job_def()
    config = {"ops": {"spm_dbt_models": {"config": {"full_refresh": True}}}}
    assert dg.validate_run_config(job, config) is not None
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"ops": {"spm_dbt_models": {"config": {"full": True}}}})


def test_duckdb_connections_have_a_memory_limit(monkeypatch, tmp_path):
    settings = SpmSettings(warehouse=str(tmp_path / "w.duckdb"))

    def limit() -> str:
        with settings.connect_warehouse() as con:
            return con.execute("select current_setting('memory_limit')").fetchone()[0]

    monkeypatch.delenv("SPM_DUCKDB_MEMORY_LIMIT", raising=False)
    assert limit() == "953.6 MiB"  # the default, 1GB
    monkeypatch.setenv("SPM_DUCKDB_MEMORY_LIMIT", "512MB")
    assert limit() == "488.2 MiB"
