"""The whole pipeline, run as a user runs it, on a hand-written landing folder.

`tests/fixtures/handwritten` holds a few Salesforce and HRIS exports in the contract's formats,
including a delta extract. Every expected value below is worked out by hand from those rows
(as-of 2025-06-30), with the reasoning next to it.
"""

import hashlib
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.lib.dagster.pipeline import pipeline_environment
from tests.helpers.pipeline import FIXTURES, REPO_ROOT, materialize, query

ALICE, BOB, CAROL, INTEGRATION = (f"00500000000000{n}AAA" for n in ("2", "3", "1", "4"))
OPP = {n: f"00600000000000{n}AAA" for n in range(1, 10)}

CONTRACT_COLUMNS = {
    "dim_reps": [
        "rep_id", "employee_id", "rep_name", "email", "title", "department",
        "manager_rep_id", "hire_date", "termination_date", "is_active",
    ],
    "fct_opportunities": [
        "opportunity_id", "account_id", "owner_rep_id", "created_at", "created_date",
        "close_date", "stage_name", "amount", "probability", "forecast_category", "is_closed",
        "is_won", "lead_source", "opportunity_type", "sales_cycle_days", "touchpoints",
    ],
    "mart_pipeline_monthly": [
        "rep_id", "month_start", "opportunities_created", "pipeline_created_amount",
        "meetings_booked", "won_count", "won_amount", "lost_count", "win_rate",
        "average_deal_size",
    ],
}  # fmt: skip


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def repo_snapshot() -> dict[str, int]:
    """Files of the repository outside the venv and bytecode caches, with their mtimes."""
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {
        str(p.relative_to(REPO_ROOT)): p.stat().st_mtime_ns
        for p in REPO_ROOT.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(REPO_ROOT).parts)
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("handwritten")
    shutil.copytree(
        FIXTURES / "handwritten", root / "landing", ignore=shutil.ignore_patterns("*.md")
    )
    env = pipeline_environment(root, as_of="2025-06-30")
    landing_before = tree_digest(root / "landing")
    repo_before = repo_snapshot()
    result = materialize(env)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return {
        "root": root,
        "env": env,
        "bi": Path(env["SPM_BI_DATABASE"]),
        "warehouse": Path(env["SPM_WAREHOUSE"]),
        "landing_before": landing_before,
        "repo_before": repo_before,
        "repo_after": repo_snapshot(),
    }


def test_bi_database_holds_only_the_marts_with_contract_columns(run):
    tables = query(
        run["bi"],
        "select schema_name, table_name from duckdb_tables() order by all",
    )
    assert {schema for schema, _ in tables} == {"marts"}
    for table, columns in CONTRACT_COLUMNS.items():
        have = [
            c
            for (c,) in query(
                run["bi"],
                "select column_name from duckdb_columns() "
                f"where schema_name = 'marts' and table_name = '{table}'",
            )
        ]
        assert set(columns) <= set(have), (table, set(columns) - set(have))


def test_dim_reps_prefers_hris_department_from_the_latest_file(run):
    rows = query(
        run["bi"],
        "select rep_id, employee_id, department, manager_rep_id, hire_date, termination_date, "
        "is_active from marts.dim_reps order by rep_id",
    )
    assert rows == [
        (CAROL, "E003", "Sales - Enterprise", None, date(2022, 6, 1), None, True),
        (ALICE, "E001", "Sales - Enterprise", CAROL, date(2024, 1, 15), None, True),
        # Bob's second HRIS file (later name) moved him and recorded his termination.
        (BOB, "E002", "Sales - Mid-Market", CAROL, date(2024, 3, 1), date(2025, 5, 31), False),
        # No EmployeeNumber: falls back to User.Department.
        (INTEGRATION, None, "Systems", None, None, None, True),
    ]


def test_fct_opportunities_applies_delta_stale_tie_and_delete_rules(run):
    rows = {
        r[0]: r[1:]
        for r in query(
            run["bi"],
            "select opportunity_id, owner_rep_id, stage_name, amount, is_closed, is_won, "
            "created_date, close_date, sales_cycle_days, touchpoints from marts.fct_opportunities",
        )
    }
    # Opportunity 5 is deleted by the delta (newer SystemModstamp, IsDeleted true).
    assert sorted(rows) == [OPP[n] for n in (1, 2, 3, 4, 6, 7, 8, 9)]
    d = Decimal
    # 1: won; 35 days from 2025-01-10 to 2025-02-14; touchpoints: the call at 23:59:59 on the
    #    close date and the kick-off meeting count, the e-mail one second after midnight does not.
    assert rows[OPP[1]] == (ALICE, "Closed Won", d("1000.00"), True, True,
                            date(2025, 1, 10), date(2025, 2, 14), 35, 2)  # fmt: skip
    # 2: created 23:30 UTC on Jan 31 stays in January; lost after 29 days.
    assert rows[OPP[2]][5:] == (date(2025, 1, 31), date(2025, 3, 1), 29, 0)
    # 3: open; the closed task without CompletedDateTime and the meeting later on the as-of
    #    date count; the open task, the deleted task and tomorrow's meeting do not.
    assert rows[OPP[3]][3:] == (False, False, date(2025, 2, 1), date(2025, 7, 31), None, 2)
    # 6: the delta's version is stale (older SystemModstamp): the full export's 100 wins.
    assert rows[OPP[6]][2] == d("100.00")
    # 7: the delta's newer version wins: won for 60.
    assert rows[OPP[7]][1:4] == ("Closed Won", d("60.00"), True)
    assert rows[OPP[7]][7] == 19
    # 8: only in the delta.
    assert rows[OPP[8]][1] == "Closed Lost"
    # 9: same SystemModstamp in both files: the later file wins.
    assert rows[OPP[9]][2] == d("45.00")


def test_mart_pipeline_monthly_matches_hand_counts(run):
    rows = query(
        run["bi"],
        "select rep_id, month_start, opportunities_created, pipeline_created_amount, "
        "meetings_booked, won_count, won_amount, lost_count, win_rate, average_deal_size "
        "from marts.mart_pipeline_monthly order by rep_id, month_start",
    )
    d = Decimal
    expected = [
        # Alice: Jan created 1 (1000) and 2 (500), booked the kick-off; nothing closed.
        (ALICE, date(2025, 1, 1), 2, d("1500.00"), 1, 0, d("0.00"), 0, None, None),
        (ALICE, date(2025, 2, 1), 0, d("0.00"), 0, 1, d("1000.00"), 0, 1.0, d("1000.00")),
        # March: 6 created (5 is deleted), 2 lost on March 1st.
        (ALICE, date(2025, 3, 1), 1, d("100.00"), 0, 0, d("0.00"), 1, 0.0, None),
        (ALICE, date(2025, 5, 1), 1, d("10.00"), 0, 0, d("0.00"), 1, 0.0, None),
        (ALICE, date(2025, 6, 1), 1, d("45.00"), 0, 0, d("0.00"), 0, None, None),
        (BOB, date(2025, 2, 1), 2, d("2300.00"), 0, 0, d("0.00"), 0, None, None),
        (BOB, date(2025, 3, 1), 0, d("0.00"), 0, 1, d("300.00"), 0, 1.0, d("300.00")),
        (BOB, date(2025, 4, 1), 1, d("60.00"), 0, 1, d("60.00"), 0, 1.0, d("60.00")),
        # Both meetings were booked in June, including the one held after the as-of date.
        (BOB, date(2025, 6, 1), 0, d("0.00"), 2, 0, d("0.00"), 0, None, None),
    ]
    assert rows == expected


def test_raw_keeps_every_version_with_provenance_and_unknown_columns(run):
    rows = query(
        run["warehouse"],
        'select "Id", "CurrencyIsoCode", _source_file, _source_line '
        f"from raw.salesforce__opportunity where \"Id\" in ('{OPP[4]}', '{OPP[5]}') "
        "order by _source_file, _source_line",
    )
    full = "salesforce/Opportunity/Opportunity_20250601T020000Z_full.csv"
    delta = "salesforce/Opportunity/Opportunity_20250615T020000Z_delta.csv"
    # Line 5 of the full export: opportunity 4's name holds a quoted newline, so 5 starts on 7.
    assert rows == [
        (OPP[4], None, full, 5),
        (OPP[5], None, full, 7),
        (OPP[5], "USD", delta, 2),
    ]


def test_landing_untouched_and_nothing_written_outside_the_temp_folder(run):
    assert tree_digest(run["root"] / "landing") == run["landing_before"]
    assert run["repo_after"] == run["repo_before"]


def test_rerun_is_idempotent(run):
    before = {
        t: query(run["bi"], f"select * from marts.{t} order by all") for t in CONTRACT_COLUMNS
    }
    raw_before = query(run["warehouse"], "select count(*) from raw.salesforce__opportunity")
    result = materialize(run["env"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped 2 unchanged" in result.stderr + result.stdout
    after = {t: query(run["bi"], f"select * from marts.{t} order by all") for t in CONTRACT_COLUMNS}
    assert after == before
    assert query(run["warehouse"], "select count(*) from raw.salesforce__opportunity") == raw_before
