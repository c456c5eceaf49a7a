"""The Superset bundle is generated from the semantic layer: a metric renamed or removed in a
yml breaks this test, not a dashboard (orchestration/lib/bi/superset_bundle.py, bi/dashboards)."""

import io
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.lib.bi.semantic_sql import SemanticLayer
from orchestration.lib.bi.superset_bundle import (
    build_bundle,
    chart_metrics,
    load_specs,
    spec_problems,
    write_bundle,
)
from orchestration.lib.dbt.project import spm_dbt_project


@pytest.fixture(scope="module")
def target() -> Path:
    """The repository's parsed project (parsed now if a file dbt parses changed)."""
    return spm_dbt_project().manifest_path.parent


@pytest.fixture(scope="module")
def layer(target) -> SemanticLayer:
    return SemanticLayer.load(target / "semantic_manifest.json")


@pytest.fixture(scope="module")
def bundle(layer, target, tmp_path_factory) -> dict[str, dict]:
    manifest = json.loads((target / "manifest.json").read_text())
    out = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    write_bundle(build_bundle(layer, manifest, load_specs(), Path("/bi/spm.duckdb")), out)
    with zipfile.ZipFile(out) as archive:
        return {
            name.split("/", 1)[1]: yaml.safe_load(io.TextIOWrapper(archive.open(name)))
            for name in archive.namelist()
        }


def test_every_chart_names_existing_translated_metrics_and_columns(layer, bundle):
    specs = load_specs()
    assert set(specs) == {
        "pipeline_forecast",
        "rep_scorecard",
        "sales_cycle_funnel",
        "seller_experience",
        "commission",
        "enablement_ramp",
    }
    datasets = {d["table_name"]: d for n, d in bundle.items() if n.startswith("datasets/")}
    assert spec_problems(layer, datasets, specs) == []
    used = {
        m for spec in specs.values() for row in spec["rows"] for c in row for m in chart_metrics(c)
    }
    assert used <= set(layer.metrics)
    # every dashboard carries one checked figure (make test-bi) and the three filters
    for slug, spec in specs.items():
        assert sum(bool(c.get("check")) for row in spec["rows"] for c in row) == 1, slug
        filters = bundle[f"dashboards/{slug}.yaml"]["metadata"]["native_filter_configuration"]
        assert [f["name"] for f in filters][:2] == ["Quarter", "Team"], slug


def test_a_renamed_metric_is_reported(layer, bundle):
    datasets = {d["table_name"]: d for n, d in bundle.items() if n.startswith("datasets/")}
    spec = {"t": {"rows": [[{"name": "c", "type": "big_number_total", "metric": "win_ratio"}]]}}
    assert spec_problems(layer, datasets, spec) == [
        "t: chart 'c': no MetricFlow metric 'win_ratio'"
    ]


def test_translated_expressions(layer):
    won = "sum(case when is_won then 1 else 0 end)"
    lost = "sum(case when is_closed and not is_won then 1 else 0 end)"
    assert layer.metric_sql("won_count") == won
    # ratio of a derived denominator: recomputed from its parts, never averaged
    assert layer.metric_sql("win_rate") == f"({won}) / nullif(({won}) + ({lost}), 0)"
    assert layer.metric_model("win_rate") == "fct_opportunities"
    # a metric filter stays with the metric: suppressed groups give NULL, not a score
    assert layer.metric_sql("promoters_pct") == (
        "max(case when (is_suppressed = false) then promoters_pct end)"
    )
    # semi-additive over the snapshot date: the group's latest snapshot only
    assert "if s.d = max(snapshot_date)" in layer.metric_sql("open_pipeline_amount")
    # cumulative metrics are left to Superset's cumulative options
    _, skipped = layer.translated_metrics()
    assert {"won_amount_qtd", "credited_bookings_qtd"} <= set(skipped)


def test_translated_metrics_compute_the_marts_formulas(layer):
    """Run a few translations in DuckDB on rows whose answer is known."""
    con = duckdb.connect()
    con.execute(
        "create table fct_opportunities as select * from (values "
        "(true, true, 100.0, 10), (true, false, 50.0, 20), (false, false, 70.0, null), "
        "(true, true, 300.0, 30)) v(is_closed, is_won, amount, sales_cycle_days)"
    )
    win_rate, deal_size = con.execute(
        f"select {layer.metric_sql('win_rate')}, {layer.metric_sql('average_deal_size')} "
        "from fct_opportunities"
    ).fetchone()
    assert win_rate == pytest.approx(2 / 3)
    assert deal_size == pytest.approx(200.0)
    con.execute(
        "create table mart_forecast_trend as select * from (values "
        "(date '2026-11-18', 'a', 10.0), (date '2026-11-25', 'a', 20.0), "
        "(date '2026-11-25', 'b', 5.0)) v(snapshot_date, rep_id, open_pipeline_amount)"
    )
    latest = con.execute(
        f"select {layer.metric_sql('open_pipeline_amount')} from mart_forecast_trend"
    ).fetchone()[0]
    assert latest == 25


def test_database_is_read_only_and_datasets_join_reps(bundle):
    database = bundle["databases/spm_marts.yaml"]
    assert database["sqlalchemy_uri"] == "duckdb:////bi/spm.duckdb"
    assert database["extra"]["engine_params"] == {"connect_args": {"read_only": True}}
    assert not database["allow_dml"]
    rep_performance = bundle["datasets/spm_marts/mart_rep_performance_monthly.yaml"]
    assert "left join marts.dim_reps as rep on rep.rep_id = t.rep_id" in rep_performance["sql"]
    columns = {c["column_name"] for c in rep_performance["columns"]}
    assert {"rep__rep_name", "rep__department", "month_start"} <= columns
    assert rep_performance["main_dttm_col"] == "month_start"
