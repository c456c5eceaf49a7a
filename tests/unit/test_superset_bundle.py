"""The Superset bundle is generated from the semantic layer: a metric renamed or removed in a
yml breaks this test, not a dashboard (orchestration/lib/bi/superset_bundle.py, bi/dashboards)."""

import io
import json
import zipfile
from decimal import Decimal
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


# --- commission: payout build-up, draws and plan scenarios ------------------------------------

STATEMENTS = """
create table marts.mart_commission_statements as
select employee_id, rep_id, quarter_start::date as quarter_start,
    capped_commission::decimal(18,2) as capped_commission,
    clawback_amount::decimal(18,2) as clawback_amount,
    spiff_amount::decimal(18,2) as spiff_amount,
    adjustment_amount::decimal(18,2) as adjustment_amount,
    draw_amount::decimal(18,2) as draw_amount,
    draw_recovery_amount::decimal(18,2) as draw_recovery_amount,
    opening_draw_balance::decimal(18,2) as opening_draw_balance,
    draw_balance::decimal(18,2) as draw_balance,
    payout_amount::decimal(18,2) as payout_amount
from (values
    ('E1', 'r1', '2026-01-01', 0, 0, 0, 0, 20000, 0, 0, 20000, 20000),
    ('E1', 'r1', '2026-04-01', 2871.19, 0, 480, 0, 16648.81, 0, 20000, 36648.81, 20000),
    ('E1', 'r1', '2026-07-01', 58388.44, -6404.96, 1200, 0, 0, 33183.48, 36648.81, 3465.33,
     20000),
    -- E2 leaves after the first quarter with 500 of draw still to recover
    ('E2', 'r2', '2026-01-01', 1000, -200, 0, 50, 0, 0, 700, 500, 850)
) as t(employee_id, rep_id, quarter_start, capped_commission, clawback_amount, spiff_amount,
       adjustment_amount, draw_amount, draw_recovery_amount, opening_draw_balance, draw_balance,
       payout_amount)
"""

SCENARIOS = """
create table marts.mart_commission_scenarios as
select scenario_id, scenario_name, employee_id, rep_id, quarter_start::date as quarter_start,
    actual_capped_commission::decimal(18,2) as actual_capped_commission,
    actual_clawback_amount::decimal(18,2) as actual_clawback_amount,
    scenario_capped_commission::decimal(18,2) as scenario_capped_commission,
    scenario_clawback_amount::decimal(18,2) as scenario_clawback_amount,
    commission_difference::decimal(18,2) as commission_difference
from (values
    ('S1', 'Richer', 'E1', 'r1', '2026-04-01', 2871.19, 0, 3871.19, 0, 1000),
    ('S1', 'Richer', 'E2', 'r2', '2026-04-01', 1000, -200, 1500, -300, 400),
    ('S2', 'Leaner', 'E1', 'r1', '2026-04-01', 2871.19, 0, 871.19, 0, -2000),
    ('S2', 'Leaner', 'E2', 'r2', '2026-04-01', 1000, -200, 900, -180, -80),
    ('S2', 'Leaner', 'E2', 'r2', '2026-07-01', 0, 0, 0, 0, 0)
) as t(scenario_id, scenario_name, employee_id, rep_id, quarter_start,
       actual_capped_commission, actual_clawback_amount, scenario_capped_commission,
       scenario_clawback_amount, commission_difference)
"""


def commission_charts(bundle: dict[str, dict]) -> dict[str, dict]:
    return {c["slice_name"]: c for n, c in bundle.items() if n.startswith("charts/commission_")}


@pytest.fixture
def commission_marts(bundle) -> duckdb.DuckDBPyConnection:
    """The commission marts in a ``marts`` schema, with a dim_reps that has the columns the
    datasets join, so a dataset's SQL and a chart's metrics run as Superset runs them."""
    con = duckdb.connect()
    con.execute("create schema marts")
    joined = {
        c["column_name"].removeprefix("rep__")
        for c in bundle["datasets/spm_marts/mart_commission_scenarios.yaml"]["columns"]
        if c["column_name"].startswith("rep__")
    }
    others = ", ".join(f"null::varchar as {name}" for name in sorted(joined - {"rep_name"}))
    con.execute(
        "create table marts.dim_reps as select rep_id, rep_name, "
        f"{others} from (values ('r1', 'Ann'), ('r2', 'Bo')) as t(rep_id, rep_name)"
    )
    con.execute(STATEMENTS)
    con.execute(SCENARIOS)
    return con


def dataset_source(dataset: dict) -> str:
    return f"({dataset['sql']})" if dataset["sql"] else f"marts.{dataset['table_name']}"


def test_payout_metrics_add_up_like_the_statement(layer, commission_marts):
    """payout = capped + clawbacks + SPIFFs (= quarter commission) + adjustments (= earned) +
    draw paid - draw recovered, each a metric of its own, summed per quarter."""
    con = commission_marts
    metrics = ["quarter_commission_amount", "earned_amount", "payout_amount"]
    rows = con.execute(
        "select "
        + ", ".join(layer.metric_sql(m) for m in metrics)
        + ", sum(capped_commission + clawback_amount + spiff_amount)"
        ", sum(capped_commission + clawback_amount + spiff_amount + adjustment_amount)"
        ", sum(payout_amount) from marts.mart_commission_statements group by quarter_start"
    ).fetchall()
    assert len(rows) == 3
    for quarter, earned, payout, *expected in rows:
        assert [quarter, earned, payout] == expected
    (payout,) = con.execute(
        f"select {layer.metric_sql('payout_amount')} from marts.mart_commission_statements"
    ).fetchone()
    assert payout == Decimal("60850.00")
    assert layer.metric_model("payout_amount") == "mart_commission_statements"
    for name in ("draw_amount", "draw_recovery_amount", "spiff_amount", "adjustment_amount"):
        assert layer.metrics[name]["type"] == "simple"


def test_draw_balances_are_not_summed_over_quarters(layer, commission_marts):
    """draw_balance is a point in time: by quarter, the employees' balances at its end; over
    several quarters each employee's latest balance (E2's last statement is in Q1), never the
    sum of the quarters; the opening balance is each employee's first."""
    con = commission_marts
    balance = layer.metric_sql("draw_balance")
    opening = layer.metric_sql("opening_draw_balance")
    by_quarter = con.execute(
        f"select quarter_start, {balance}, {opening} from marts.mart_commission_statements "
        "group by all order by all"
    ).fetchall()
    assert [(b, o) for _, b, o in by_quarter] == [
        (Decimal("20500.00"), Decimal("700.00")),
        (Decimal("36648.81"), Decimal("20000.00")),
        (Decimal("3465.33"), Decimal("36648.81")),
    ]
    overall = con.execute(
        f"select {balance}, {opening} from marts.mart_commission_statements"
    ).fetchone()
    assert overall == (Decimal("3965.33"), Decimal("700.00"))
    by_rep = con.execute(
        f"select rep_id, {balance} from marts.mart_commission_statements group by all order by all"
    ).fetchall()
    assert by_rep == [("r1", Decimal("3465.33")), ("r2", Decimal("500.00"))]


def test_commission_dashboard_shows_the_payout_build_up_and_draws(bundle, commission_marts):
    charts = commission_charts(bundle)
    waterfall = charts["Payout build-up"]
    steps = bundle["datasets/spm_marts/mart_commission_statements_steps.yaml"]
    assert waterfall["viz_type"] == "waterfall" and waterfall["dataset_uuid"] == steps["uuid"]
    amounts = dict(
        commission_marts.execute(
            f"select step, sum(step_amount) from ({steps['sql']}) group by step"
        ).fetchall()
    )
    assert list(sorted(amounts)) == [
        "1. Capped commission",
        "2. Clawbacks",
        "3. SPIFFs",
        "4. Adjustments",
        "5. Draw paid",
        "6. Draw recovered",
    ]
    assert amounts["6. Draw recovered"] == pytest.approx(-33183.48)  # subtracted
    assert sum(amounts.values()) == pytest.approx(60850.00)  # the payout
    draws = charts["Draws by quarter"]["params"]
    assert draws["metrics"] == ["draw_amount", "draw_recovery_amount", "draw_balance"]
    table = charts["Commission statements"]["params"]
    assert {"spiff_amount", "earned_amount", "draw_amount", "draw_balance"} <= set(table["metrics"])
    lines = charts["Commission lines"]["params"]
    assert {"opportunity_name", "account_name", "spiff_name"} <= set(lines["groupby"])


def test_commission_dashboard_compares_scenarios_with_the_actual_plans(
    layer, bundle, commission_marts
):
    """Actual vs each scenario by quarter, and the employees who gain or lose most, from the
    scenario metrics as translated once (every chart groups by scenario: summed over scenarios
    the actual side would count once per scenario)."""
    charts = commission_charts(bundle)
    scenarios = bundle["datasets/spm_marts/mart_commission_scenarios.yaml"]
    translated = {m["metric_name"]: m["expression"] for m in scenarios["metrics"]}
    names = [
        "Actual vs scenario commission by quarter",
        "Scenarios by quarter",
        "Employees who gain most under a scenario",
        "Employees who lose most under a scenario",
    ]
    for name in names:
        params = charts[name]["params"]
        assert charts[name]["dataset_uuid"] == scenarios["uuid"], name
        assert "scenario_name" in params["groupby"], name
        for metric in params["metrics"]:
            assert translated[metric] == layer.metric_sql(metric), (name, metric)
    by_quarter = charts[names[0]]["params"]
    assert by_quarter["metrics"] == [
        "scenario_actual_commission_amount",
        "scenario_commission_amount",
    ]
    assert (by_quarter["x_axis"], by_quarter["time_grain_sqla"]) == ("quarter_start", "P3M")
    assert "commission_difference" in charts[names[1]]["params"]["metrics"]

    con = commission_marts
    source = dataset_source(scenarios)
    per_quarter = con.execute(
        "select quarter_start, scenario_name, "
        + ", ".join(translated[m] for m in [*by_quarter["metrics"], "commission_difference"])
        + f" from {source} group by all order by all"
    ).fetchall()
    assert [row[1:] for row in per_quarter[:2]] == [
        ("Leaner", Decimal("3671.19"), Decimal("1591.19"), Decimal("-2080.00")),
        ("Richer", Decimal("3671.19"), Decimal("5071.19"), Decimal("1400.00")),
    ]
    for name, first in ((names[2], ("Richer", "Ann")), (names[3], ("Leaner", "Ann"))):
        params = charts[name]["params"]
        assert params["timeseries_limit_metric"] == "commission_difference"
        assert {"rep__rep_name", "employee_id"} <= set(params["groupby"])
        order = "desc" if params["order_desc"] else "asc"
        top = con.execute(
            f"select {', '.join(params['groupby'])}, {translated['commission_difference']} "
            f"as difference from {source} group by all order by difference {order} limit 1"
        ).fetchone()
        assert top[:2] == first, name
    assert charts[names[2]]["params"]["order_desc"] is True
    assert charts[names[3]]["params"]["order_desc"] is False
