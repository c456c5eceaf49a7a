"""The whole pipeline on generated demo data, checked against pandas over the landing files.

The expected numbers are computed here straight from the CSV exports (dedupe by greatest
SystemModstamp, then the later file and line; deleted records dropped), independently of
the loader and the dbt models.
"""

import pandas as pd

from tests.helpers.landing_frames import salesforce_current
from tests.helpers.pipeline import PipelineRun, query


def test_every_user_is_a_rep(generated_run: PipelineRun):
    landing, bi = generated_run.landing, generated_run.bi
    users = salesforce_current(landing, "User")
    assert query(bi, "select count(*), count(distinct rep_id) from marts.dim_reps") == [
        (len(users), len(users))
    ]


def test_fct_opportunities_is_the_current_undeleted_opportunities(generated_run: PipelineRun):
    landing, bi = generated_run.landing, generated_run.bi
    opportunities = salesforce_current(landing, "Opportunity")
    published = dict(
        query(bi, "select opportunity_id, cast(amount as varchar) from marts.fct_opportunities")
    )
    assert set(published) == set(opportunities["Id"])
    expected = {
        row.Id: (f"{float(row.Amount):.2f}" if row.Amount else None)
        for row in opportunities.itertuples()
    }
    assert published == expected


def test_pipeline_monthly_counts_match_the_exports(generated_run: PipelineRun):
    landing, bi = generated_run.landing, generated_run.bi
    opps = salesforce_current(landing, "Opportunity")
    opps["amount"] = pd.to_numeric(opps["Amount"]).fillna(0)
    created = opps.assign(month=opps["CreatedDate"].str[:7]).groupby(["OwnerId", "month"])
    closed = opps[opps["IsClosed"] == "true"]
    closed = closed.assign(month=closed["CloseDate"].str[:7], won=closed["IsWon"] == "true")
    won = closed[closed["won"]].groupby(["OwnerId", "month"])
    lost = closed[~closed["won"]].groupby(["OwnerId", "month"])
    events = salesforce_current(landing, "Event")
    booked = events.assign(month=events["CreatedDate"].str[:7]).groupby(["OwnerId", "month"])

    expected = (
        pd.DataFrame(
            {
                "opportunities_created": created.size(),
                "pipeline_created_amount": created["amount"].sum().round(2),
                "meetings_booked": booked.size(),
                "won_count": won.size(),
                "won_amount": won["amount"].sum().round(2),
                "lost_count": lost.size(),
            }
        )
        .fillna(0)
        .sort_index()
    )
    rows = query(
        bi,
        "select rep_id, strftime(month_start, '%Y-%m'), opportunities_created, "
        "pipeline_created_amount::double, meetings_booked, won_count, won_amount::double, "
        "lost_count from marts.mart_pipeline_monthly",
    )
    actual = (
        pd.DataFrame(rows, columns=["OwnerId", "month", *expected.columns])
        .set_index(["OwnerId", "month"])
        .sort_index()
    )
    assert len(actual) > 50
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_names=False)


def test_real_export_format_publishes_with_nothing_rejected(generated_run: PipelineRun):
    """The demo exports are shaped like Salesforce's: API names in OpportunityHistory, labels on
    Opportunity, milliseconds in datetimes. All of it is valid input."""
    history = salesforce_current(generated_run.landing, "OpportunityHistory")
    assert {"BestCase", "Forecast"} <= set(history["ForecastCategory"])
    assert not {"Best Case", "Commit", "Most Likely"} & set(history["ForecastCategory"])
    opportunities = salesforce_current(generated_run.landing, "Opportunity")
    assert "Most Likely" in set(opportunities["ForecastCategoryName"])
    assert (~opportunities["CreatedDate"].str.endswith(".000Z")).mean() > 0.5
    assert query(generated_run.warehouse, "select count(*) from audit.rejected_rows") == [(0,)]
    assert query(generated_run.warehouse, "select count(*) from audit.rejected_files") == [(0,)]
    assert generated_run.bi.exists()
