"""The whole pipeline on a landing folder with the real exports' quirks (as-of 2025-06-30).

`tests/fixtures/vendor_quirks` holds valid values as Salesforce, HRIS and survey tools write
them (see its README and `docs/sources.md`). Nothing may be rejected, the run must publish, and
the marts must read each quirk as the contract says; every expected value is worked out by hand
from the fixture's rows, with the reasoning beside it.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.helpers.pipeline import FIXTURES, query

ALICE, BOB = "005000000000001AAA", "005000000000002AAA"
OPP = {n: f"00600000000000{n}AAA" for n in range(1, 7)}
Q2, Q3 = date(2025, 4, 1), date(2025, 7, 1)


@pytest.fixture(scope="module")
def run(vendor_quirks_run):
    return {"bi": vendor_quirks_run.bi, "warehouse": vendor_quirks_run.warehouse}


def test_nothing_is_rejected_and_every_file_loads(run):
    assert query(run["warehouse"], "select * from audit.rejected_rows") == []
    assert query(run["warehouse"], "select * from audit.rejected_files") == []
    loaded = query(run["warehouse"], "select count(*) from audit.loaded_files")[0][0]
    assert loaded == len(list((FIXTURES / "vendor_quirks").rglob("*.csv")))


def test_forecast_reads_api_names_overrides_and_the_state_rule(run):
    rows = query(
        run["bi"],
        f"""
        select quarter_start, closed_won_amount, commit_amount, most_likely_amount,
            best_case_amount, pipeline_amount, omitted_amount, open_opportunity_count,
            weighted_open_amount, forecast_commit_amount, forecast_best_case_amount
        from marts.mart_forecast where rep_id = '{ALICE}' order by quarter_start
        """,
    )
    assert rows == [
        # Q2: O6 won on 2025-05-15 (400).
        (Q2, Decimal("400"), Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"),
         Decimal("0"), 0, Decimal("0.00"), Decimal("400"), Decimal("400")),
        # Q3, open at the end of 2025-06-30:
        # O1 Most Likely 1000 (override on 06-10 without a history row: the current row, since
        #   its SystemModstamp is before the day); O2 Commit 800 at 80 % (its history row
        #   `Forecast` of 06-15: the current row, won on 07-02, was modified after the day);
        #   O3 Pipeline 300 at 20 % (no history row: the current row); O5 Best Case 200 at 60 %
        #   (`BestCase`); O4 is deleted. Weighted 100 + 640 + 60 + 120 = 920.
        (Q3, Decimal("0"), Decimal("800"), Decimal("1000"), Decimal("200"), Decimal("300"),
         Decimal("0"), 4, Decimal("920.00"), Decimal("800"), Decimal("2000")),
    ]  # fmt: skip


def test_history_categories_are_labels_downstream(run):
    categories = query(
        run["warehouse"],
        "select distinct forecast_category "
        "from staging.stg_salesforce__opportunity_history order by 1",
    )
    assert categories == [("Best Case",), ("Closed",), ("Commit",), ("Pipeline",)]
    facts = query(
        run["bi"],
        "select opportunity_id, forecast_category from marts.fct_opportunities order by 1",
    )
    assert dict(facts) == {
        OPP[1]: "Most Likely",
        OPP[2]: "Closed",
        OPP[3]: "Pipeline",
        OPP[5]: "Best Case",
        OPP[6]: "Closed",
    }


def test_durations_keep_their_milliseconds(run):
    # O5 sat in Prospecting from 05-10 08:00:00.100 to 06-20 08:00:00.900: 41 days and 800 ms.
    days = query(
        run["bi"],
        "select days_in_stage from marts.fct_stage_durations "
        f"where opportunity_id = '{OPP[5]}' and stage_name = 'Prospecting'",
    )
    assert days == [((41 * 86_400_000 + 800) / 86_400_000,)]
    # June leads: L1 followed up 250 ms after creation (10:00:00.900 -> 10:00:01.150), L2 after
    # exactly 30 minutes: the mean is (250 + 1,800,000) ms / 2, in hours.
    hours = query(
        run["bi"],
        "select avg_follow_up_hours from marts.mart_rep_performance_monthly "
        f"where rep_id = '{ALICE}' and month_start = '2025-06-01'",
    )
    assert hours == [((250 + 1_800_000) / 2 / 3_600_000,)]


def test_task_subtypes_beyond_call_and_email_are_other_tasks(run):
    # June: ListEmail, Cadence and LinkedIn are other tasks (the LinkedIn task has no
    # CompletedDateTime: its CreatedDate is the time); only `Email` is an e-mail.
    row = query(
        run["bi"],
        "select calls, emails, other_tasks, total_activities, leads_created, leads_converted "
        "from marts.mart_rep_performance_monthly "
        f"where rep_id = '{ALICE}' and month_start = '2025-06-01'",
    )
    assert row == [(0, 1, 3, 4, 2, 1)]


def test_a_rep_with_only_quotas_has_rows_up_to_the_as_of_month(run):
    rows = query(
        run["bi"],
        "select month_start, total_activities, credited_bookings, quota_amount, "
        "quota_attainment_rate from marts.mart_rep_performance_monthly "
        f"where rep_id = '{BOB}' order by month_start",
    )
    # Quotas for May, June and July 2025; July is after the as-of month.
    assert rows == [
        (date(2025, 5, 1), 0, Decimal("0.00"), Decimal("5000.00"), 0.0),
        (date(2025, 6, 1), 0, Decimal("0.00"), Decimal("5000.00"), 0.0),
    ]


def test_hris_empty_dates_and_survey_offsets_are_read(run):
    # `0000-00-00` is the worker report's "no termination date".
    reps = query(
        run["bi"], "select rep_id, termination_date, is_active from marts.dim_reps order by 1"
    )
    assert reps == [(ALICE, None, True), (BOB, None, True)]
    # 2025-06-15T10:00:00+02:00 is 08:00 UTC; the skipped answer is NULL.
    answers = query(
        run["warehouse"],
        "select question_id, submitted_at, score from raw.survey__responses order by 1",
    )
    assert answers == [
        ("Q1", datetime(2025, 6, 15, 8, 0), 9),
        ("Q2", datetime(2025, 6, 15, 8, 0), None),
    ]
