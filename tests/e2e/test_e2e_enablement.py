"""Lead handoff, new-rep ramp and enablement marts on generated demo data, against pandas.

Expected values come from the landing CSVs (``tests.helpers.landing_frames``), independently of the
loader and the dbt models.
"""

import pandas as pd

from tests.helpers.landing_frames import latest_file_rows, salesforce_current
from tests.helpers.pipeline import PipelineRun, query


def rep_ids(run: PipelineRun) -> pd.DataFrame:
    users = salesforce_current(run.landing, "User")
    return users[users["EmployeeNumber"] != ""][["Id", "EmployeeNumber"]]


def test_enablement_counts_match_the_exports(generated_run: PipelineRun):
    as_of = generated_run.as_of.isoformat()
    reps = rep_ids(generated_run)
    assignments = latest_file_rows(
        generated_run.landing, "enablement/training_assignments", ["assignment_id"]
    ).merge(reps, left_on="employee_id", right_on="EmployeeNumber")
    assignments = assignments[assignments["assigned_date"] <= as_of]
    done = assignments[
        (assignments["status"] == "Completed") & (assignments["completed_at"].str[:10] <= as_of)
    ]
    sessions = latest_file_rows(
        generated_run.landing, "enablement/coaching_sessions", ["session_id"]
    )
    started = sessions["started_at"].str[:10]
    sessions = sessions[(sessions["status"] == "Completed") & (started <= as_of)]
    received = sessions.merge(reps, left_on="rep_employee_id", right_on="EmployeeNumber")
    given = sessions.merge(reps, left_on="coach_employee_id", right_on="EmployeeNumber")
    expected = pd.DataFrame(
        {
            "trainings_assigned": assignments.groupby(
                ["Id", assignments["assigned_date"].str[:7]]
            ).size(),
            "trainings_completed": done.groupby(["Id", done["completed_at"].str[:7]]).size(),
            "coaching_sessions": received.groupby(["Id", received["started_at"].str[:7]]).size(),
            "coaching_sessions_given": given.groupby(["Id", given["started_at"].str[:7]]).size(),
        }
    ).fillna(0)
    rows = query(
        generated_run.bi,
        "select rep_id, strftime(month_start, '%Y-%m'), trainings_assigned, trainings_completed, "
        "coaching_sessions, coaching_sessions_given from marts.mart_enablement_monthly",
    )
    actual = pd.DataFrame(rows, columns=["Id", "month", *expected.columns]).set_index(
        ["Id", "month"]
    )
    # Months with only overdue assignments have zeros here.
    actual = actual[(actual != 0).any(axis=1)]
    assert len(actual) > 20
    assert actual["coaching_sessions_given"].sum() > 0
    pd.testing.assert_frame_equal(
        actual.sort_index(), expected.sort_index(), check_dtype=False, check_names=False
    )
    overdue = query(
        generated_run.bi, "select sum(overdue_assignments) from marts.mart_enablement_monthly"
    )
    assert overdue[0][0] > 0


def test_lead_funnel_counts_match_the_exports(generated_run: PipelineRun):
    leads = salesforce_current(generated_run.landing, "Lead")
    leads = leads[leads["OwnerId"] != ""]
    opportunities = salesforce_current(generated_run.landing, "Opportunity").set_index("Id")
    converted = leads[leads["IsConverted"] == "true"]
    live = converted[converted["ConvertedOpportunityId"].isin(opportunities.index)]
    owners = opportunities.loc[live["ConvertedOpportunityId"], "OwnerId"].to_numpy()
    handed = live[owners != live["OwnerId"].to_numpy()]
    month = "CreatedDate"
    expected = pd.DataFrame(
        {
            "leads_created": leads.groupby(["OwnerId", leads[month].str[:7]]).size(),
            "leads_converted": converted.groupby(["OwnerId", converted[month].str[:7]]).size(),
            "converted_opportunities": live.groupby(["OwnerId", live[month].str[:7]]).size(),
            "handed_off_opportunities": handed.groupby(["OwnerId", handed[month].str[:7]]).size(),
        }
    ).fillna(0)
    rows = query(
        generated_run.bi,
        "select rep_id, strftime(month_start, '%Y-%m'), leads_created, leads_converted, "
        "converted_opportunities, handed_off_opportunities from marts.mart_lead_funnel_monthly",
    )
    actual = pd.DataFrame(rows, columns=["OwnerId", "month", *expected.columns]).set_index(
        ["OwnerId", "month"]
    )
    assert expected["handed_off_opportunities"].sum() > 0
    pd.testing.assert_frame_equal(
        actual.sort_index(), expected.sort_index(), check_dtype=False, check_names=False
    )


def test_rep_ramp_has_every_hired_rep_and_consistent_quarters(generated_run: PipelineRun):
    rows = query(
        generated_run.bi,
        """
        select rep_id, hire_date, hire_quarter_start, ramped_quarter_start, quarters_to_ramp,
            days_to_ramp, is_ramped
        from marts.mart_rep_ramp
        """,
    )
    frame = pd.DataFrame(
        rows, columns=["rep", "hire", "hire_q", "ramped_q", "quarters", "days", "is_ramped"]
    )
    workers = latest_file_rows(generated_run.landing, "hris/workers", ["employee_id"])
    hired = workers[workers["hire_date"] <= generated_run.as_of.isoformat()]
    reps = rep_ids(generated_run)
    assert set(frame["rep"]) == set(reps[reps["EmployeeNumber"].isin(hired["employee_id"])]["Id"])
    ramped = frame[frame["is_ramped"]]
    assert len(ramped) > 0
    months = (ramped["ramped_q"].map(lambda d: d.year * 12 + d.month)) - ramped["hire_q"].map(
        lambda d: d.year * 12 + d.month
    )
    assert (ramped["quarters"] == months // 3 + 1).all()
    assert frame.loc[~frame["is_ramped"], ["ramped_q", "quarters", "days"]].isna().all().all()
