"""mart_rep_performance_monthly on generated demo data, checked against pandas over the exports.

Expected values come straight from the landing CSVs (the dedupe rules of
``tests.helpers.landing_frames``), independently of the loader and the dbt models. Months are the
first seven characters of the UTC ISO timestamps and dates.
"""

from datetime import timedelta

import pandas as pd

from tests.helpers.landing_frames import latest_file_rows, salesforce_current
from tests.helpers.pipeline import PipelineRun, query

KEY = ["rep_id", "month"]


def published(run: PipelineRun, columns: list[str]) -> pd.DataFrame:
    """Every row of the published mart, indexed by rep and 'YYYY-MM' month."""
    rows = query(
        run.bi,
        f"select rep_id, strftime(month_start, '%Y-%m'), {', '.join(columns)} "
        "from marts.mart_rep_performance_monthly",
    )
    return pd.DataFrame(rows, columns=[*KEY, *columns]).set_index(KEY).sort_index()


def activities(run: PipelineRun) -> pd.DataFrame:
    """Closed tasks at coalesce(CompletedDateTime, CreatedDate) and events started by as-of."""
    tasks = salesforce_current(run.landing, "Task")
    tasks = tasks[tasks["IsClosed"] == "true"]
    task_activities = pd.DataFrame(
        {
            "rep_id": tasks["OwnerId"],
            "at": tasks["CompletedDateTime"].where(
                tasks["CompletedDateTime"] != "", tasks["CreatedDate"]
            ),
            "kind": tasks["TaskSubtype"]
            .map({"Call": "calls", "Email": "emails"})
            .fillna("other_tasks"),
        }
    )
    events = salesforce_current(run.landing, "Event")
    day_after = pd.Timestamp(run.as_of + timedelta(days=1), tz="UTC")
    events = events[pd.to_datetime(events["StartDateTime"], utc=True) < day_after]
    meetings = pd.DataFrame(
        {"rep_id": events["OwnerId"], "at": events["StartDateTime"], "kind": "meetings_held"}
    )
    both = pd.concat([task_activities, meetings], ignore_index=True)
    return both.assign(month=both["at"].str[:7])


def credits(run: PipelineRun) -> pd.DataFrame:
    """Credits of won opportunities: revenue splits of live opportunities, else 100 % owner."""
    opportunities = salesforce_current(run.landing, "Opportunity")
    opportunities = opportunities.assign(amount=pd.to_numeric(opportunities["Amount"]))
    splits = salesforce_current(run.landing, "OpportunitySplit").merge(
        opportunities, left_on="OpportunityId", right_on="Id", suffixes=("_split", "")
    )
    split_credits = pd.DataFrame(
        {
            "opportunity_id": splits["OpportunityId"],
            "rep_id": splits["SplitOwnerId"],
            "credit": splits["amount"] * pd.to_numeric(splits["SplitPercentage"]) / 100,
        }
    )
    unsplit = opportunities[~opportunities["Id"].isin(splits["OpportunityId"])]
    owner_credits = pd.DataFrame(
        {"opportunity_id": unsplit["Id"], "rep_id": unsplit["OwnerId"], "credit": unsplit["amount"]}
    )
    won = opportunities[opportunities["IsWon"] == "true"].set_index("Id")["CloseDate"]
    all_credits = pd.concat([split_credits, owner_credits], ignore_index=True)
    all_credits = all_credits[all_credits["opportunity_id"].isin(won.index)]
    return all_credits.assign(month=all_credits["opportunity_id"].map(won).str[:7])


def rep_months(rep_ids: pd.Series, times: pd.Series) -> set[tuple[str, str]]:
    return set(zip(rep_ids, times.str[:7], strict=True))


def test_rep_performance_rows_are_the_rep_months_with_records(generated_run: PipelineRun):
    landing = generated_run.landing
    opportunities = salesforce_current(landing, "Opportunity")
    closed = opportunities[opportunities["IsClosed"] == "true"]
    leads = salesforce_current(landing, "Lead")
    expected = rep_months(opportunities["OwnerId"], opportunities["CreatedDate"])
    expected |= rep_months(closed["OwnerId"], closed["CloseDate"])
    expected |= rep_months(leads["OwnerId"], leads["CreatedDate"])
    for frame in (activities(generated_run), credits(generated_run)):
        expected |= rep_months(frame["rep_id"], frame["month"])
    assert set(published(generated_run, []).index) == expected


def test_rep_performance_activity_counts_match_the_exports(generated_run: PipelineRun):
    columns = ["calls", "emails", "other_tasks", "meetings_held"]
    frame = activities(generated_run)
    expected = frame.groupby([*KEY, "kind"]).size().unstack("kind")
    actual = published(generated_run, [*columns, "total_activities"])
    assert int(actual["total_activities"].sum()) == len(frame)
    assert (actual["total_activities"] == actual[columns].sum(axis=1)).all()
    expected = expected.reindex(index=actual.index, columns=columns).fillna(0)
    pd.testing.assert_frame_equal(actual[columns], expected, check_dtype=False, check_names=False)


def test_rep_performance_leads_match_the_exports(generated_run: PipelineRun):
    leads = salesforce_current(generated_run.landing, "Lead")
    leads = leads.assign(
        rep_id=leads["OwnerId"],
        month=leads["CreatedDate"].str[:7],
        converted=leads["IsConverted"] == "true",
    )
    grouped = leads.groupby(KEY)
    expected = pd.DataFrame(
        {"leads_created": grouped.size(), "leads_converted": grouped["converted"].sum()}
    )
    actual = published(generated_run, ["leads_created", "leads_converted"])
    assert int(actual["leads_created"].sum()) == len(leads)
    expected = expected.reindex(actual.index).fillna(0)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_names=False)


def test_rep_performance_credited_bookings_match_the_exports(generated_run: PipelineRun):
    frame = credits(generated_run)
    assert frame["opportunity_id"].duplicated().any(), "expected some split opportunities"
    expected = frame.assign(credit=frame["credit"].round(2)).groupby(KEY)["credit"].sum()
    actual = published(generated_run, ["credited_bookings::double"]).iloc[:, 0]
    expected = expected.reindex(actual.index).fillna(0)
    assert actual.sum() > 0
    # Per credit the mart rounds once (a rep's split rows summed first): a cent per credit at most.
    pd.testing.assert_series_equal(
        actual, expected, check_names=False, check_exact=False, rtol=0, atol=0.05
    )


def test_rep_performance_quota_matches_the_quota_files(generated_run: PipelineRun):
    landing = generated_run.landing
    users = salesforce_current(landing, "User").set_index("Id")["EmployeeNumber"]
    quotas = latest_file_rows(landing, "sales_ops/quotas", ["employee_id", "month_start"])
    quota_of = {
        (row.employee_id, row.month_start[:7]): float(row.quota_amount)
        for row in quotas.itertuples()
        if row.quota_amount != ""
    }
    actual = published(generated_run, ["quota_amount::double"]).iloc[:, 0]
    expected = pd.Series(
        [quota_of.get((users.get(rep_id), month)) for rep_id, month in actual.index],
        index=actual.index,
        dtype="float64",
    )
    assert expected.notna().sum() > 20
    pd.testing.assert_series_equal(actual.astype("float64"), expected, check_names=False)
