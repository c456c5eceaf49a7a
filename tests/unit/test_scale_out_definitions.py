"""The scale-out job's definitions, without starting Spark: what ``SPM_SCALE_OUT=1`` adds to the
code location, what the job selects, and how its settings reach dbt."""

import dagster as dg
import pytest

from orchestration.definitions import build_definitions
from orchestration.defs.dbt.assets import model_key, models_in_schema, spm_dbt_models
from orchestration.defs.resources import SparkSettings, spark_settings_from_env
from orchestration.defs.scale_out.definitions import scale_out_definitions
from orchestration.lib.dagster.keys import raw_asset_key
from spm_common import settings as sv
from spm_common.settings import ConfigurationError

SPARK = "spark"


def spark(key: dg.AssetKey) -> dg.AssetKey:
    return dg.AssetKey([SPARK, *key.path])


@pytest.fixture(scope="module")
def defs():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPM_SCALE_OUT", "1")
        patch.setenv("SPM_SCALE_OUT_CRON", "30 5 * * 1-5")
        merged = build_definitions()
    dg.Definitions.validate_loadable(merged)
    return merged


@pytest.fixture(scope="module")
def graph(defs):
    return defs.resolve_asset_graph()


def job_assets(defs, name: str) -> set[dg.AssetKey]:
    return set(defs.resolve_job_def(name).asset_layer.selected_asset_keys)


def test_off_by_default_the_code_location_has_no_spark(monkeypatch):
    monkeypatch.delenv("SPM_SCALE_OUT", raising=False)
    assert scale_out_definitions().assets in (None, [])
    off = build_definitions()
    with pytest.raises(dg.DagsterInvariantViolationError):
        off.resolve_job_def("scale_out_materialization")
    keys = off.resolve_asset_graph().get_all_asset_keys()
    assert not [key for key in keys if key.path[0] == SPARK]


def test_every_dbt_model_has_a_spark_asset_in_a_spark_group(graph):
    for key in spm_dbt_models.keys:
        node = graph.get(spark(key))
        assert node.group_name == f"{SPARK}_{graph.get(key).group_name}"
        assert {parent.path[0] for parent in node.parent_keys} <= {SPARK}


def test_spark_sources_are_the_raw_parquet_datasets(graph):
    stg = spark(model_key("stg_salesforce__opportunities"))
    raw = raw_asset_key("salesforce", "Opportunity")
    assert graph.get(stg).parent_keys == {spark(raw)}
    # Each Parquet dataset follows its DuckDB raw table, and so the raw gate.
    assert graph.get(spark(raw)).parent_keys == {raw}


def test_every_dbt_data_test_is_a_check_of_the_spark_asset_too(defs):
    spark_models = defs.get_assets_def(spark(next(iter(spm_dbt_models.keys))))
    duckdb_checks = {(spark(s.asset_key), s.name, s.blocking) for s in spm_dbt_models.check_specs}
    spark_checks = {(s.asset_key, s.name, s.blocking) for s in spark_models.check_specs}
    assert duckdb_checks and spark_checks == duckdb_checks


def test_every_mart_has_a_blocking_comparison_with_duckdb(graph):
    marts = models_in_schema("marts")
    comparisons = [key for key in graph.asset_check_keys if key.name == "equals_duckdb"]
    assert {key.asset_key for key in comparisons} == {spark(mart) for mart in marts}
    for key in comparisons:
        spec = graph.get_check_spec(key)
        assert spec.blocking
        duckdb_mart = dg.AssetKey(key.asset_key.path[1:])
        assert {dep.asset_key for dep in spec.additional_deps} == {duckdb_mart}


def test_the_scale_out_job_builds_both_engines_and_publishes_nothing(defs, graph):
    selected = job_assets(defs, "scale_out_materialization")
    spark_keys = {key for key in graph.get_all_asset_keys() if key.path[0] == SPARK}
    assert spark_keys <= selected
    assert set(spm_dbt_models.keys) <= selected  # the reference of the comparison
    assert raw_asset_key("salesforce", "Opportunity") in selected
    assert dg.AssetKey("publish") not in selected
    assert not [key for key in selected if key.path[0] == "statements"]
    job_graph = defs.resolve_job_def("scale_out_materialization").asset_layer.asset_graph
    comparisons = {k for k in job_graph.asset_check_keys if k.name == "equals_duckdb"}
    assert len(comparisons) == len(models_in_schema("marts"))


def test_the_nightly_job_leaves_spark_out(defs):
    selected = job_assets(defs, "nightly_materialization")
    assert dg.AssetKey("publish") in selected
    assert not [key for key in selected if key.path[0] == SPARK]
    checks = defs.resolve_job_def("nightly_materialization").asset_layer.asset_graph
    nightly_checks = checks.asset_check_keys
    assert nightly_checks and not [k for k in nightly_checks if k.asset_key.path[0] == SPARK]


def test_the_schedule_takes_its_cron_from_the_environment(defs):
    schedule = defs.resolve_schedule_def("scale_out_schedule")
    assert schedule.cron_schedule == "30 5 * * 1-5"
    assert schedule.job_name == "scale_out_materialization"
    assert schedule.execution_timezone == "UTC"


def test_spark_settings_reach_dbt_as_absolute_paths_and_checked_values(tmp_path):
    settings = SparkSettings(
        raw_parquet_dir="lake/raw", spark_dir=str(tmp_path / "spark"), threads="3"
    )
    env = settings.dbt_environment()
    assert env["SPM_DBT_TARGET"] == "spark"
    assert env["SPM_RAW_PARQUET_DIR"] == str(sv.PROJECT_ROOT / "lake" / "raw")
    assert env["SPM_SPARK_WAREHOUSE_DIR"] == str(tmp_path / "spark")
    assert env["SPM_SPARK_THREADS"] == "3"
    assert env["SPM_SPARK_MASTER"] == "local[2]"
    assert settings.marts_path == tmp_path / "spark" / "warehouse" / "marts.db"
    # Run config can override a field: it is checked again, naming the variable.
    with pytest.raises(ConfigurationError, match="SPM_SPARK_MASTER='localhost'"):
        SparkSettings(master="localhost", threads="0").dbt_environment()


def test_spark_settings_are_env_vars_when_set(monkeypatch):
    monkeypatch.setenv("SPM_SPARK_DRIVER_MEMORY", "8g")
    monkeypatch.delenv("SPM_SPARK_MASTER", raising=False)
    resource = spark_settings_from_env()
    assert isinstance(resource.driver_memory, dg.EnvVar)
    assert resource.master == "local[2]"


@pytest.mark.parametrize(
    ("variable", "good", "bad", "form"),
    [
        ("SPM_SCALE_OUT", "0", "yes", "1 (on)"),
        ("SPM_SCALE_OUT_CRON", "0 4 * * *", "every night", "cron"),
    ],
)
def test_scale_out_variables_are_checked(tmp_path, variable, good, bad, form):
    assert sv.validate_environment({variable: good}, tmp_path) == []
    [problem] = sv.validate_environment({variable: bad}, tmp_path)
    assert problem.startswith(f"{variable}={bad!r} ") and form in problem, problem


def test_scale_out_names_what_the_machine_lacks(monkeypatch, tmp_path):
    monkeypatch.setattr(sv.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(sv.shutil, "which", lambda name: None)
    problems = sv.validate_environment({"SPM_SCALE_OUT": "1", "JAVA_HOME": ""}, tmp_path)
    assert len(problems) == 2, problems
    assert "pyspark and dbt.adapters.spark" in problems[0]
    assert "make install-spark" in problems[0]
    assert "Java 17 or 21" in problems[1]
    assert sv.validate_environment({"SPM_SCALE_OUT": "0"}, tmp_path) == []
