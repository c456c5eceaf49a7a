"""The semantic layer: every contract metric is a MetricFlow metric, and ``mf query`` on the
published BI file (profile output ``bi``, read-only) gives the marts' numbers.

``mf`` reads ``<project>/target/semantic_manifest.json`` only, so the tests parse the repository's
dbt project into a temporary project folder (its ``dbt_project.yml`` and ``profiles.yml``) and
run ``mf`` there. The generated run's fiscal year starts in January: metric_time__quarter is the
marts' quarter_start.
"""

import json
import math
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.lib.dagster.pipeline import clean_environment
from tests.helpers.pipeline import REPO_ROOT, PipelineRun

DBT_PROJECT = REPO_ROOT / "dbt_project"
BIN = Path(sys.executable).parent
# MetricFlow's mf without its PyPI update check (orchestration/cli/metrics.py).
MF = (sys.executable, "-m", "orchestration.cli.metrics")

# Numeric mart columns that are row attributes or keys, not metrics (the metrics aggregate them).
NOT_METRICS = {
    "fct_opportunities": {"amount", "probability", "sales_cycle_days", "touchpoints"},
    "fct_stage_durations": {"stint_number", "stage_order", "days_in_stage"},
    "mart_stage_funnel": {"stage_order"},
    "mart_forecast_trend": {"week_of_quarter"},
    # A reporting line's distance, a dimension.
    "dim_manager_reports": {"reporting_level"},
    # A line's position in the quarter's tiers: running totals, not additive.
    "fct_commission_lines": {"cumulative_before", "cumulative_after"},
    # A line's tier and the plan's terms: positions, bounds and rates, not additive.
    "fct_commission_line_tiers": {
        "tier_number",
        "floor_attainment",
        "ceiling_attainment",
        "rate_multiplier",
        "tier_lower_amount",
        "tier_upper_amount",
        "tier_rate",
    },
    "mart_commission_statement_tiers": {
        "tier_number",
        "floor_attainment",
        "ceiling_attainment",
        "rate_multiplier",
        "tier_lower_amount",
        "tier_upper_amount",
        "tier_rate",
        "cap_multiple",
        "clawback_days",
    },
}
WATERFALL_BUCKETS = ("opening", "created", "pulled_in", "pushed_out", "won", "lost", "closing")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( |T|$)")
NUMERIC_TYPES = ("bigint", "integer", "int", "double", "float", "decimal", "numeric")


def base_env(root: Path) -> dict[str, str]:
    return {**clean_environment(), "DBT_LOG_PATH": str(root / "logs")}


@pytest.fixture(scope="module")
def semantic_project(tmp_path_factory) -> Path:
    """A project folder for ``mf``: the repository's profile and project files, and the
    artifacts of ``dbt parse`` of its models in ``target/``. Relations in the semantic manifest
    carry the stem of SPM_WAREHOUSE (``spm``), the name the ``bi`` output attaches the BI file as.
    """
    root = tmp_path_factory.mktemp("semantic")
    project = root / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(DBT_PROJECT / name, project / name)
    env = base_env(root) | {"SPM_WAREHOUSE": str(root / "warehouse" / "spm.duckdb")}
    result = subprocess.run(
        [
            str(BIN / "dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(project / "target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


def semantic_manifest(project: Path) -> dict:
    return json.loads((project / "target" / "semantic_manifest.json").read_text())


def mart_columns(project: Path) -> dict[str, dict[str, str]]:
    """Every published model's columns and data types, from the dbt manifest."""
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    return {
        node["name"]: {c["name"]: (c.get("data_type") or "") for c in node["columns"].values()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("schema") == "marts"
        and node["original_file_path"].startswith("models/marts/")
    }


def test_every_contract_metric_column_has_one_metric(semantic_project: Path):
    """Each numeric mart column is answered by exactly one metric (its ``contract_columns``
    meta) unless NOT_METRICS lists it: a new contract metric without a definition fails."""
    metrics = semantic_manifest(semantic_project)["metrics"]
    marts = mart_columns(semantic_project)
    answered: dict[str, str] = {}
    for metric in metrics:
        for column in (metric.get("config") or {}).get("meta", {}).get("contract_columns", []):
            assert column not in answered, f"{column}: {answered[column]} and {metric['name']}"
            answered[column] = metric["name"]
            table, name = column.split(".")
            assert name in marts.get(table, {}), f"{metric['name']} names unknown {column}"
    missing = [
        f"{table}.{column}"
        for table, columns in sorted(marts.items())
        for column, data_type in columns.items()
        if data_type.lower().startswith(NUMERIC_TYPES)
        and column not in NOT_METRICS.get(table, set())
        and f"{table}.{column}" not in answered
    ]
    assert missing == [], f"numeric mart columns without a MetricFlow metric: {missing}"


def test_every_mart_has_a_semantic_model_and_every_metric_a_description(semantic_project):
    manifest = semantic_manifest(semantic_project)
    modelled = {model["node_relation"]["alias"] for model in manifest["semantic_models"]}
    assert set(mart_columns(semantic_project)) <= modelled
    undescribed = [m["name"] for m in manifest["metrics"] if not (m.get("description") or "")]
    assert undescribed == []
    types = {m["type"] for m in manifest["metrics"]}
    assert {"simple", "ratio", "derived", "cumulative"} <= types
    spines = manifest["project_configuration"]["time_spines"]
    assert [s["node_relation"]["schema_name"] for s in spines] == ["marts"]


# End to end: `mf` on the generated run's published BI file.


@pytest.fixture(scope="module")
def mf_env(semantic_project: Path, generated_run: PipelineRun) -> dict[str, str]:
    return base_env(semantic_project.parent) | {
        "SPM_DBT_TARGET": "bi",
        "SPM_WAREHOUSE": str(generated_run.warehouse),
        "SPM_BI_DATABASE": str(generated_run.bi),
    }


def mf(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*MF, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return result


def mf_query(
    project: Path, env: dict[str, str], metrics: list[str], group_by: list[str], *where: str
) -> pd.DataFrame:
    """``mf query`` as a DataFrame: group-by columns as text, metrics as numbers."""
    out = project / f"query_{len(list(project.glob('query_*.csv')))}.csv"
    args = ["query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by)]
    for condition in where:
        args += ["--where", condition]
    mf(project, env, *args, "--csv", str(out))
    return pd.read_csv(out, dtype=str).pipe(numeric_metrics, metrics)


def numeric_metrics(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    return frame.astype({metric: float for metric in metrics})


def mart(run: PipelineRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.bi), read_only=True) as con:
        return con.execute(sql).df()


def values(frame: pd.DataFrame, keys: list[str], value: str) -> dict[tuple, float | None]:
    """{key tuple: value}, NULL/NaN as None."""
    return {
        tuple(key_part(row[k]) for k in keys): (None if pd.isna(row[value]) else float(row[value]))
        for row in frame.to_dict("records")
    }


def key_part(value) -> str:
    """Dates and timestamps as YYYY-MM-DD, whichever side (mf's CSV, DuckDB) they come from."""
    if isinstance(value, date | datetime | pd.Timestamp):
        return value.isoformat()[:10]
    return value[:10] if ISO_DATE.match(value) else value


def assert_same(actual: dict, expected: dict, abs_tol: float = 1e-9, label: str = "") -> None:
    """Same keys; NULL where the mart has NULL; numbers within abs_tol (or 1e-9 relative)."""
    assert set(actual) == set(expected), (label, sorted(set(actual) ^ set(expected), key=str)[:10])
    wrong = [
        (key, actual[key], want)
        for key, want in expected.items()
        if (want is None) != (actual[key] is None)
        or (want is not None and not math.isclose(actual[key], want, rel_tol=1e-9, abs_tol=abs_tol))
    ]
    assert wrong == [], (label, wrong[:10])


@pytest.mark.e2e
def test_mf_validate_configs_against_the_published_file(semantic_project, mf_env):
    """Every semantic model, dimension, measure and metric queries the BI file (read-only)."""
    result = mf(semantic_project, mf_env, "validate-configs")
    assert "ERRORS: 0" in result.stdout


@pytest.mark.e2e
def test_simple_ratio_and_derived_metrics_by_rep_and_month(semantic_project, mf_env, generated_run):
    """win_rate and average_deal_size recomputed from their parts equal mart_pipeline_monthly."""
    got = mf_query(
        semantic_project,
        mf_env,
        ["won_count", "lost_count", "closed_count", "win_rate", "average_deal_size"],
        ["rep", "metric_time__month"],
    )
    got = got[got["closed_count"] > 0]
    want = mart(
        generated_run,
        "select rep_id, month_start, won_count, lost_count, win_rate, average_deal_size "
        "from marts.mart_pipeline_monthly where won_count + lost_count > 0",
    )
    keys = ["rep", "metric_time__month"]
    want = want.rename(columns={"rep_id": "rep", "month_start": "metric_time__month"})
    assert len(want) > 20
    for metric in ("won_count", "lost_count", "win_rate"):
        assert_same(values(got, keys, metric), values(want, keys, metric), label=metric)
    # The mart rounds the deal size to cents (half a cent off at most).
    assert_same(
        values(got, keys, "average_deal_size"),
        values(want, keys, "average_deal_size"),
        abs_tol=0.00501,
        label="average_deal_size",
    )


@pytest.mark.e2e
def test_opportunity_metrics_by_quarter_match_the_sales_cycle_mart(
    semantic_project, mf_env, generated_run
):
    """The same win_rate, re-aggregated by quarter; the mean cycle and velocity (derived)."""
    metrics = ["win_rate", "avg_sales_cycle_days", "pipeline_velocity_per_day", "closed_count"]
    got = mf_query(semantic_project, mf_env, metrics, ["rep", "metric_time__quarter"])
    got = got[got["closed_count"] > 0]
    want = mart(generated_run, "select * from marts.mart_sales_cycle_quarterly").rename(
        columns={"rep_id": "rep", "quarter_start": "metric_time__quarter"}
    )
    keys = ["rep", "metric_time__quarter"]
    for metric in ("win_rate", "avg_sales_cycle_days"):
        assert_same(values(got, keys, metric), values(want, keys, metric), label=metric)
    # The mart computes velocity from the deal size rounded to cents, then rounds to cents.
    assert_same(
        values(got, keys, "pipeline_velocity_per_day"),
        values(want, keys, "pipeline_velocity_per_day"),
        abs_tol=0.05,
        label="pipeline_velocity_per_day",
    )


@pytest.mark.e2e
def test_win_rate_by_department_is_recomputed_not_averaged(semantic_project, mf_env, generated_run):
    """Sliced by dim_reps' department through the rep entity; the fiscal quarter of the time
    spine (custom granularity) equals the calendar quarter in this run."""
    got = mf_query(
        semantic_project,
        mf_env,
        ["win_rate"],
        ["rep__department", "metric_time__fiscal_quarter"],
    )
    want = mart(
        generated_run,
        "select r.department as rep__department, m.quarter_start as metric_time__fiscal_quarter, "
        "sum(m.won_count) / sum(m.won_count + m.lost_count) as win_rate "
        "from marts.mart_sales_cycle_quarterly as m "
        "inner join marts.dim_reps as r on m.rep_id = r.rep_id group by all",
    )
    keys = ["rep__department", "metric_time__fiscal_quarter"]
    got = got[got["win_rate"].notna()]
    assert len(want) > 5
    assert_same(values(got, keys, "win_rate"), values(want, keys, "win_rate"), label="win_rate")


@pytest.mark.e2e
def test_attainment_follow_up_and_cumulative_bookings_by_month(
    semantic_project, mf_env, generated_run
):
    """quota_attainment_rate (ratio), avg_follow_up_hours (ratio across two marts),
    leads_without_follow_up (derived) and credited_bookings_qtd (cumulative, quarter to date)."""
    metrics = [
        "quota_attainment_rate",
        "avg_follow_up_hours",
        "leads_without_follow_up",
        "credited_bookings_qtd",
    ]
    got = mf_query(semantic_project, mf_env, metrics, ["rep", "metric_time__month"])
    want = mart(
        generated_run,
        "select rep_id as rep, month_start as metric_time__month, quota_attainment_rate, "
        "avg_follow_up_hours, leads_without_follow_up, sum(credited_bookings) over ("
        "partition by rep_id, date_trunc('quarter', month_start) order by month_start"
        ") as credited_bookings_qtd from marts.mart_rep_performance_monthly",
    )
    keys = ["rep", "metric_time__month"]

    def on_mart_rows(metric: str, frame: pd.DataFrame = want) -> tuple[dict, dict]:
        """The metric on the mart's rows (a rep-month row may exist for other columns only)."""
        expected = values(frame, keys, metric)
        actual = values(got, keys, metric)
        return {key: actual.get(key) for key in expected}, expected

    assert_same(*on_mart_rows("quota_attainment_rate"), label="quota_attainment_rate")
    assert_same(*on_mart_rows("avg_follow_up_hours"), 1e-6, "avg_follow_up_hours")
    with_leads = want[want["leads_without_follow_up"] > 0]
    assert_same(*on_mart_rows("leads_without_follow_up", with_leads), 0, "leads_without_follow_up")
    # Quarter to date over the months with a mart row; the rep's other months credit nothing.
    assert_same(*on_mart_rows("credited_bookings_qtd"), 0.005, "credited_bookings_qtd")


@pytest.mark.e2e
def test_forecast_turnover_and_funnel_metrics(semantic_project, mf_env, generated_run):
    """Derived forecast sums, turnover's ratio over a derived denominator, stage conversion,
    and the stage funnel's avg_days_in_stage recomputed from the stints of the cohort."""
    forecast = mf_query(
        semantic_project,
        mf_env,
        ["forecast_commit_amount", "forecast_best_case_amount", "weighted_open_amount"],
        ["rep", "metric_time__quarter"],
    )
    want = mart(generated_run, "select * from marts.mart_forecast").rename(
        columns={"rep_id": "rep", "quarter_start": "metric_time__quarter"}
    )
    keys = ["rep", "metric_time__quarter"]
    for metric in ("forecast_commit_amount", "forecast_best_case_amount", "weighted_open_amount"):
        assert_same(values(forecast, keys, metric), values(want, keys, metric), 0.005, metric)

    turnover = mf_query(
        semantic_project,
        mf_env,
        ["avg_headcount", "turnover_rate", "annualized_turnover_rate"],
        ["department_quarter__department", "metric_time__quarter"],
    )
    want = mart(generated_run, "select * from marts.mart_turnover_quarterly").rename(
        columns={
            "department": "department_quarter__department",
            "quarter_start": "metric_time__quarter",
        }
    )
    keys = ["department_quarter__department", "metric_time__quarter"]
    for metric in ("avg_headcount", "turnover_rate", "annualized_turnover_rate"):
        assert_same(values(turnover, keys, metric), values(want, keys, metric), label=metric)

    funnel = mf_query(
        semantic_project,
        mf_env,
        ["conversion_to_next_rate"],
        ["funnel_stage__stage_name", "metric_time__quarter"],
    )
    want = mart(generated_run, "select * from marts.mart_stage_funnel").rename(
        columns={"stage_name": "funnel_stage__stage_name", "quarter_start": "metric_time__quarter"}
    )
    keys = ["funnel_stage__stage_name", "metric_time__quarter"]
    assert_same(
        values(funnel, keys, "conversion_to_next_rate"),
        values(want, keys, "conversion_to_next_rate"),
        label="conversion_to_next_rate",
    )
    stints = mf_query(
        semantic_project,
        mf_env,
        ["avg_days_in_stage"],
        ["stage_stint__stage_name", "opportunity__created_date__quarter"],
    ).rename(
        columns={
            "stage_stint__stage_name": "funnel_stage__stage_name",
            "opportunity__created_date__quarter": "metric_time__quarter",
        }
    )
    expected = values(want[want["avg_days_in_stage"].notna()], keys, "avg_days_in_stage")
    actual = values(stints, keys, "avg_days_in_stage")
    assert_same({k: actual.get(k) for k in expected}, expected, 1e-6, "avg_days_in_stage")


@pytest.mark.e2e
def test_forecast_trend_snapshots_and_waterfall_balance(semantic_project, mf_env, generated_run):
    """Snapshot metrics are read per snapshot; a coarser grain takes the last snapshot."""
    metrics = ["snapshot_forecast_commit_amount", "pipeline_coverage_ratio", "commit_error_ratio"]
    got = mf_query(
        semantic_project,
        mf_env,
        metrics,
        ["rep", "forecast_snapshot__quarter_start", "metric_time__day"],
    )
    want = mart(generated_run, "select * from marts.mart_forecast_trend").rename(
        columns={
            "rep_id": "rep",
            "quarter_start": "forecast_snapshot__quarter_start__month",
            "snapshot_date": "metric_time__day",
            "forecast_commit_amount": "snapshot_forecast_commit_amount",
        }
    )
    got = got.rename(
        columns={"forecast_snapshot__quarter_start": "forecast_snapshot__quarter_start__month"}
    )
    keys = ["rep", "forecast_snapshot__quarter_start__month", "metric_time__day"]
    for metric in metrics:
        assert_same(values(got, keys, metric), values(want, keys, metric), 1e-6, metric)

    waterfall = mf_query(
        semantic_project,
        mf_env,
        [f"waterfall_{bucket}_count" for bucket in WATERFALL_BUCKETS],
        ["metric_time__quarter"],
    )
    assert len(waterfall) >= 2
    balance = (
        waterfall["waterfall_opening_count"]
        + waterfall["waterfall_created_count"]
        + waterfall["waterfall_pulled_in_count"]
        - waterfall["waterfall_pushed_out_count"]
        - waterfall["waterfall_won_count"]
        - waterfall["waterfall_lost_count"]
    )
    assert (balance == waterfall["waterfall_closing_count"]).all()


@pytest.mark.e2e
def test_seller_experience_scores_stay_suppressed(semantic_project, mf_env, generated_run):
    """Scores come as published per survey group; a suppressed group never gets one."""
    keys = ["survey_group__survey_id", "survey_group__department"]
    got = mf_query(semantic_project, mf_env, ["enps", "response_rate", "respondents"], keys)
    want = mart(generated_run, "select * from marts.mart_seller_experience").rename(
        columns={"survey_id": keys[0], "department": keys[1]}
    )
    assert want["is_suppressed"].any()
    assert_same(values(got, keys, "response_rate"), values(want, keys, "response_rate"))
    scores = values(got, keys, "enps")
    assert_same(scores, values(want, keys, "enps"), 1e-9, "enps")
    suppressed = {tuple(row) for row in want.loc[want["is_suppressed"], keys].to_numpy()}
    assert all(scores[key] is None for key in suppressed)
