"""The point-in-time marts on generated demo data, against pandas over the exports.

Every snapshot is rebuilt here from the landing CSVs with the contract's state rule
(``tests.helpers.opportunity_frames.opportunity_states``), independently of the state versions
model.
The fiscal year starts in January in this run; the history window is the as-of quarter and the
four before it.
"""

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.landing_frames import latest_file_rows, salesforce_current
from tests.helpers.opportunity_frames import opportunity_states
from tests.helpers.pipeline import PipelineRun, query

HISTORY_QUARTERS = 4


def window_quarters(as_of: date) -> list[tuple[date, date]]:
    """(first day, last day) of the as-of quarter and the HISTORY_QUARTERS before it."""
    first = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    quarters = []
    for back in range(HISTORY_QUARTERS, -1, -1):
        month = first.month - 3 * back
        start = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = date(following.year + (following.month + 1) // 12, (following.month + 1) % 12 + 1, 1)
        quarters.append((start, end - timedelta(days=1)))
    return quarters


def snapshot_days(quarter: tuple[date, date], as_of: date) -> dict[int, date]:
    start, end = quarter
    days = {0: start - timedelta(days=1), 13: end}
    days |= {week: start + timedelta(days=7 * week - 1) for week in range(1, 13)}
    return {week: day for week, day in sorted(days.items()) if day <= as_of}


@cache
def states_on(landing: Path, day: date) -> pd.DataFrame:
    return opportunity_states(landing, day)


def in_quarter(states: pd.DataFrame, quarter: tuple[date, date]) -> pd.Series:
    return states["close_date"].between(quarter[0].isoformat(), quarter[1].isoformat())


@pytest.fixture(scope="module")
def quotas(generated_run: PipelineRun) -> pd.DataFrame:
    """Monthly quotas by rep_id (User.EmployeeNumber = employee_id)."""
    users = salesforce_current(generated_run.landing, "User")
    key = ["employee_id", "month_start"]
    rows = latest_file_rows(generated_run.landing, "sales_ops/quotas", key)
    rows = rows.merge(users, left_on="employee_id", right_on="EmployeeNumber")
    return rows.assign(rep_id=rows["Id"], quota=pd.to_numeric(rows["quota_amount"]))


def test_forecast_trend_is_the_forecast_at_every_weekly_snapshot(generated_run, quotas):
    landing, as_of = generated_run.landing, generated_run.as_of
    expected = []
    for quarter in window_quarters(as_of):
        weeks = []
        for week, day in snapshot_days(quarter, as_of).items():
            states = states_on(landing, day)
            states = states[in_quarter(states, quarter)]
            open_ = states[~states["is_closed"]]
            by_category = open_.groupby(["rep_id", "category"])["amount"].sum().unstack()
            frame = pd.DataFrame(
                {
                    "closed_won_amount": states[states["is_won"]].groupby("rep_id")["amount"].sum(),
                    "commit_amount": by_category.get("Commit"),
                    "most_likely_amount": by_category.get("Most Likely"),
                    "best_case_amount": by_category.get("Best Case"),
                    "pipeline_amount": by_category.get("Pipeline"),
                    "open_opportunity_count": open_.groupby("rep_id").size(),
                    "open_pipeline_amount": open_[open_["category"] != "Omitted"]
                    .groupby("rep_id")["amount"]
                    .sum(),
                },
                index=states["rep_id"].unique(),
            )
            weeks.append((week, day, frame))
        # Every week of the quarter for each owner with an opportunity at any of its snapshots.
        reps = pd.Index(sorted({rep for *_, frame in weeks for rep in frame.index}), name="rep_id")
        quota = quotas[quotas["month_start"].between(*(d.isoformat() for d in quarter))]
        quota = quota.groupby("rep_id")["quota"].sum().reindex(reps)
        for week, day, frame in weeks:
            expected.append(
                frame.reindex(reps)
                .fillna(0)
                .assign(
                    quarter_start=quarter[0].isoformat(),
                    week_of_quarter=week,
                    snapshot_date=day.isoformat(),
                    quota_amount=quota,
                )
            )
    expected = pd.concat(expected).reset_index()
    expected = expected.set_index(["rep_id", "quarter_start", "week_of_quarter"]).sort_index()
    # The demo data shows movement in every quarter of the window.
    assert expected.groupby("quarter_start")["open_pipeline_amount"].sum().gt(0).all()

    columns = list(expected.columns)
    rows = query(
        generated_run.bi,
        "select rep_id, strftime(quarter_start, '%Y-%m-%d'), week_of_quarter, "
        + ", ".join(
            f"strftime({c}, '%Y-%m-%d')" if c == "snapshot_date" else f"{c}::double"
            for c in columns
        )
        + " from marts.mart_forecast_trend",
    )
    actual = (
        pd.DataFrame(rows, columns=["rep_id", "quarter_start", "week_of_quarter", *columns])
        .set_index(["rep_id", "quarter_start", "week_of_quarter"])
        .sort_index()
    )
    expected = expected[columns].astype({c: float for c in columns if c != "snapshot_date"})
    pd.testing.assert_frame_equal(actual, expected.round(2), check_dtype=False, check_names=False)


def test_forecast_trend_accuracy_against_what_closed(generated_run: PipelineRun):
    rows = query(
        generated_run.bi,
        """
        select
            rep_id, quarter_start, week_of_quarter, snapshot_date, closed_won_amount,
            final_won_amount,
            forecast_commit_amount, commit_error_amount, commit_error_ratio,
            quota_amount, open_pipeline_amount, pipeline_coverage_ratio
        from marts.mart_forecast_trend
        """,
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "rep", "quarter", "week", "day", "won", "final", "commit", "error", "ratio",
            "quota", "open", "coverage",
        ],
    )  # fmt: skip
    assert set(frame["quarter"]) == {q for q, _ in window_quarters(generated_run.as_of)}
    assert frame[frame["day"] > generated_run.as_of].empty
    # Final won is week 13's won amount, for finished quarters only (the as-of quarter runs).
    running = frame["quarter"] == max(frame["quarter"])
    assert frame.loc[running, ["final", "error", "ratio"]].isna().all().all()
    finals = frame[frame["week"] == 13].rename(columns={"won": "week_13_won"})
    done = frame[~running].merge(finals[["rep", "quarter", "week_13_won"]], on=["rep", "quarter"])
    assert len(done) == (~running).sum()
    assert (done["final"] == done["week_13_won"]).all()
    assert (done["error"] == done["commit"] - done["final"]).all()
    # Coverage: open pipeline over the quota still to win; NULL once met or without quota.
    remaining = (frame["quota"] - frame["won"]).astype(float)
    has_rest = remaining.gt(0).fillna(False)
    coverage = frame["open"].astype(float) / remaining
    assert (frame.loc[has_rest, "coverage"] - coverage[has_rest]).abs().lt(1e-9).all()
    assert frame.loc[~has_rest, "coverage"].isna().all()


def test_pipeline_waterfall_follows_each_opportunity_from_s_to_e(generated_run: PipelineRun):
    landing, as_of = generated_run.landing, generated_run.as_of
    expected = []
    for quarter in window_quarters(as_of):
        start = states_on(landing, quarter[0] - timedelta(days=1))
        end = states_on(landing, min(quarter[1], as_of))
        both = end.join(start.add_suffix("_s"), how="left")
        exists_s = pd.Series(both.index.isin(start.index), index=both.index)
        open_s = exists_s & ~both["is_closed_s"].fillna(True).astype(bool)
        in_s = exists_s & both["close_date_s"].fillna("").between(
            quarter[0].isoformat(), quarter[1].isoformat()
        )
        in_e = in_quarter(both, quarter)
        opening = open_s & in_s
        entry = pd.Series(None, index=both.index, dtype=object)
        entry[opening] = "opening"
        entry[~opening & in_e & ~exists_s] = "created"
        entry[~opening & in_e & open_s] = "pulled_in"
        outcome = pd.Series("closing", index=both.index, dtype=object)
        outcome[both["is_won"]] = "won"
        outcome[both["is_closed"] & ~both["is_won"]] = "lost"
        outcome[opening & ~in_e] = "pushed_out"
        start_amount = both["amount_s"].fillna(0)
        end_amount = both["amount"]
        counted = both[entry.notna()].assign(entry=entry, outcome=outcome)
        counted["entry_amount"] = end_amount.where(entry != "opening", start_amount)
        counted["outcome_amount"] = end_amount.where(outcome != "pushed_out", start_amount)
        counted["change"] = (end_amount - start_amount).where(opening & in_e, 0)
        columns = {}
        for name, group in [("entry", "entry_amount"), ("outcome", "outcome_amount")]:
            counts = counted.groupby(["rep_id", name]).size().unstack(fill_value=0)
            amounts = counted.groupby(["rep_id", name])[group].sum().unstack(fill_value=0)
            for bucket in counts.columns:
                columns[f"{bucket}_count"] = counts[bucket]
                columns[f"{bucket}_amount"] = amounts[bucket]
        frame = pd.DataFrame(columns).fillna(0)
        frame["amount_change_amount"] = counted.groupby("rep_id")["change"].sum()
        expected.append(frame.assign(quarter_start=quarter[0].isoformat()))
    expected = pd.concat(expected).fillna(0).reset_index(names="rep_id")
    expected = expected.set_index(["rep_id", "quarter_start"]).sort_index()
    buckets = ["opening", "created", "pulled_in", "pushed_out", "won", "lost", "closing"]
    columns = [f"{b}_{m}" for b in buckets for m in ("count", "amount")] + ["amount_change_amount"]
    for column in columns:
        if column not in expected:
            expected[column] = 0
    # Deals move across quarters in the demo data: every bucket is used.
    assert (expected[columns].sum() != 0).all(), expected[columns].sum()

    rows = query(
        generated_run.bi,
        "select rep_id, strftime(quarter_start, '%Y-%m-%d'), "
        + ", ".join(f"{c}::double" for c in columns)
        + " from marts.mart_pipeline_waterfall",
    )
    actual = (
        pd.DataFrame(rows, columns=["rep_id", "quarter_start", *columns])
        .set_index(["rep_id", "quarter_start"])
        .sort_index()
    )
    pd.testing.assert_frame_equal(
        actual, expected[columns].astype(float).round(2), check_dtype=False, check_names=False
    )
