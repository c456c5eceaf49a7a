"""The sales-cycle marts on generated demo data, checked against pandas over the exports.

Expected values come straight from the landing CSVs (the dedupe rules of
``tests.helpers.landing_frames``), independently of the loader and the dbt models. The fiscal year
starts in January in this run, so a quarter is the calendar quarter of the UTC date.
"""

from datetime import timedelta

import pandas as pd

from tests.helpers.landing_frames import read_object, salesforce_current
from tests.helpers.opportunity_frames import live_history, opportunity_states, quarter_start
from tests.helpers.pipeline import PipelineRun, query


def stints(run: PipelineRun) -> pd.DataFrame:
    """One row per run of consecutive history rows in the same stage, with its days."""
    history = live_history(run.landing)
    new_stint = (history["OpportunityId"] != history["OpportunityId"].shift()) | (
        history["StageName"] != history["StageName"].shift()
    )
    history = history.assign(stint_number=new_stint.astype(int))
    history["stint_number"] = history.groupby("OpportunityId")["stint_number"].cumsum()
    runs = history.groupby(["OpportunityId", "stint_number"], as_index=False).agg(
        stage_name=("StageName", "first"), entered_at=("CreatedDate", "first")
    )
    entered = pd.to_datetime(runs["entered_at"], utc=True)
    exited = entered.groupby(runs["OpportunityId"]).shift(-1)
    return runs.assign(days_in_stage=(exited - entered).dt.total_seconds() / 86400)


def test_stage_durations_are_the_runs_of_history_rows(generated_run: PipelineRun):
    expected = stints(generated_run)
    rows = query(
        generated_run.bi,
        "select opportunity_id, stint_number, stage_name, days_in_stage, is_current "
        "from marts.fct_stage_durations",
    )
    actual = pd.DataFrame(
        rows,
        columns=["OpportunityId", "stint_number", "stage_name", "days_in_stage", "is_current"],
    )
    assert len(actual) > 500

    counts = actual.groupby("OpportunityId").size()
    assert counts.to_dict() == expected.groupby("OpportunityId").size().to_dict()
    last = actual.groupby("OpportunityId")["stint_number"].transform("max")
    assert (actual["is_current"] == (actual["stint_number"] == last)).all()

    merged = expected.merge(actual, on=["OpportunityId", "stint_number"], suffixes=("", "_mart"))
    assert len(merged) == len(expected)
    assert (merged["stage_name"] == merged["stage_name_mart"]).all()
    sample = merged.sample(n=200, random_state=7)
    pd.testing.assert_series_equal(
        sample["days_in_stage_mart"].astype(float),
        sample["days_in_stage"],
        check_names=False,
        atol=1e-9,
    )
    assert merged["days_in_stage_mart"].isna().equals(merged["days_in_stage"].isna())


def test_stage_durations_split_a_reopened_deal_and_skip_deleted_ones(generated_run: PipelineRun):
    opportunities = read_object(generated_run.landing, "salesforce/Opportunity")
    reopened = opportunities.loc[opportunities["Demo_Case__c"] == "reopened_then_won", "Id"]
    deleted = opportunities.loc[
        opportunities["Demo_Case__c"] == "deleted_with_history_and_splits", "Id"
    ]
    assert reopened.nunique() == 1 and deleted.nunique() == 1
    stages = query(
        generated_run.bi,
        "select stage_name from marts.fct_stage_durations "
        f"where opportunity_id = '{reopened.iloc[0]}' order by stint_number",
    )
    assert [stage for (stage,) in stages][-4:] == [
        "Negotiation/Review",
        "Closed Lost",
        "Negotiation/Review",
        "Closed Won",
    ]
    assert query(
        generated_run.bi,
        "select count(*) from marts.fct_stage_durations "
        f"where opportunity_id = '{deleted.iloc[0]}'",
    ) == [(0,)]


def test_stage_funnel_reached_counts(generated_run: PipelineRun):
    landing = generated_run.landing
    stages = salesforce_current(landing, "OpportunityStage")
    stages = stages.assign(order=stages["SortOrder"].astype(int))
    funnel = stages[~((stages["IsClosed"] == "true") & (stages["IsWon"] == "false"))]
    order = dict(zip(funnel["ApiName"], funnel["order"], strict=True))

    opportunities = salesforce_current(landing, "Opportunity")
    history = live_history(generated_run.landing)
    been_in = pd.concat(
        [
            history[["OpportunityId", "StageName"]],
            opportunities[["Id", "StageName"]].rename(columns={"Id": "OpportunityId"}),
        ]
    )
    furthest = been_in["StageName"].map(order).groupby(been_in["OpportunityId"]).max()
    cohort = opportunities.assign(
        quarter=quarter_start(opportunities["CreatedDate"]),
        furthest=opportunities["Id"].map(furthest),
    )
    expected = {
        (quarter, stage): int((group["furthest"] >= stage_order).sum())
        for quarter, group in cohort.groupby("quarter")
        for stage, stage_order in order.items()
    }

    rows = query(
        generated_run.bi,
        "select strftime(quarter_start, '%Y-%m-%d'), stage_name, opportunities_reached "
        "from marts.mart_stage_funnel",
    )
    assert {(quarter, stage): reached for quarter, stage, reached in rows} == expected
    assert len(rows) == len(expected) > 20


def test_sales_cycle_quarterly_counts_match_the_exports(generated_run: PipelineRun):
    opportunities = salesforce_current(generated_run.landing, "Opportunity")
    closed = opportunities[opportunities["IsClosed"] == "true"]
    closed = closed.assign(
        quarter=quarter_start(closed["CloseDate"]),
        won=closed["IsWon"] == "true",
        amount=pd.to_numeric(closed["Amount"]).fillna(0),
    )
    grouped = closed.groupby(["OwnerId", "quarter"])
    expected = pd.DataFrame(
        {
            "won_count": grouped["won"].sum(),
            "lost_count": grouped["won"].apply(lambda won: (~won).sum()),
            "won_amount": closed[closed["won"]].groupby(["OwnerId", "quarter"])["amount"].sum(),
        }
    )
    expected = expected.fillna({"won_amount": 0}).round(2).sort_index()

    rows = query(
        generated_run.bi,
        "select rep_id, strftime(quarter_start, '%Y-%m-%d'), won_count, lost_count, "
        "won_amount::double from marts.mart_sales_cycle_quarterly",
    )
    actual = (
        pd.DataFrame(rows, columns=["OwnerId", "quarter", *expected.columns])
        .set_index(["OwnerId", "quarter"])
        .sort_index()
    )
    assert len(actual) > 20
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_names=False)


def test_opportunity_states_follow_the_contract_rule_on_many_days(generated_run: PipelineRun):
    """The state versions, asked for several past days at once, against the rule in pandas."""
    as_of = generated_run.as_of
    days = [as_of - timedelta(days=n) for n in (400, 200, 91, 30, 6, 2, 0)]
    rows = query(
        generated_run.warehouse,
        f"""
        with days as (
            select unnest([{", ".join(f"date '{d}'" for d in days)}]) as state_date
        )
        select
            strftime(days.state_date, '%Y-%m-%d'), versions.opportunity_id,
            versions.stage_name, coalesce(versions.amount, 0)::double,
            strftime(versions.close_date, '%Y-%m-%d'), versions.forecast_category,
            versions.is_from_history, versions.is_closed, versions.is_won
        from days
        inner join intermediate.int_opportunity_state_versions as versions
            on versions.valid_from_date <= days.state_date
            and (versions.valid_to_date is null or days.state_date < versions.valid_to_date)
        """,
    )
    columns = [
        "stage", "amount", "close_date", "category", "is_from_history", "is_closed", "is_won"
    ]  # fmt: skip
    actual = (
        pd.DataFrame(rows, columns=["day", "opportunity_id", *columns])
        .set_index(["day", "opportunity_id"])
        .sort_index()
    )
    expected = (
        pd.concat(
            {
                day.isoformat(): opportunity_states(generated_run.landing, day)[columns]
                for day in days
            },
            names=["day", "opportunity_id"],
        )
        .replace({"close_date": {"": None}})
        .sort_index()
    )
    # Every path of the rule is taken: history rows, current rows, overrides without history.
    assert expected["is_from_history"].any() and (~expected["is_from_history"]).any()
    assert (expected["category"] == "Most Likely").any()
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_names=False)


def test_forecast_amounts_over_the_as_of_state(generated_run: PipelineRun):
    state = opportunity_states(generated_run.landing, generated_run.as_of)
    open_state = state[~state["is_closed"]]
    columns = {
        "closed_won_amount": state[state["is_won"]],
        "commit_amount": open_state[open_state["category"] == "Commit"],
        "most_likely_amount": open_state[open_state["category"] == "Most Likely"],
        "best_case_amount": open_state[open_state["category"] == "Best Case"],
        "pipeline_amount": open_state[open_state["category"] == "Pipeline"],
        "omitted_amount": open_state[open_state["category"] == "Omitted"],
    }
    keys = pd.MultiIndex.from_frame(state[["rep_id", "quarter"]].drop_duplicates())
    expected = pd.DataFrame(
        {
            name: rows.groupby(["rep_id", "quarter"])["amount"].sum()
            for name, rows in columns.items()
        }
    )
    expected = expected.reindex(keys).fillna(0).round(2)
    expected["open_opportunity_count"] = (
        open_state.groupby(["rep_id", "quarter"]).size().reindex(keys).fillna(0)
    )
    expected = expected.sort_index()

    rows = query(
        generated_run.bi,
        "select rep_id, strftime(quarter_start, '%Y-%m-%d'), closed_won_amount::double, "
        "commit_amount::double, most_likely_amount::double, best_case_amount::double, "
        "pipeline_amount::double, omitted_amount::double, open_opportunity_count "
        "from marts.mart_forecast",
    )
    actual = (
        pd.DataFrame(rows, columns=["rep_id", "quarter", *expected.columns])
        .set_index(["rep_id", "quarter"])
        .sort_index()
    )
    assert len(actual) > 20
    categories = ["commit_amount", "most_likely_amount", "best_case_amount", "pipeline_amount"]
    assert (expected[categories].sum() > 0).all()
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_names=False)
