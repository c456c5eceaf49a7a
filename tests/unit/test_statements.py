"""Commission statements as HTML, on a hand-made published file (fast, no pipeline run)."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.statements.render import StatementsError, money, render_statements
from spm_common import settings as sv
from tests.helpers.statement_pages import StatementPage

REPO_ROOT = Path(__file__).resolve().parents[2]


TINY_BI = """
create schema marts;
create table marts.dim_reps as
select * from (values ('r1', 'E1', 'Zoë <script>alert(1)</script> & Co'), ('r2', 'E2', 'Ann'),
    ('r3', 'E3', 'Bo'), ('r4', 'E4', 'Dee'), ('r5', 'E5', 'Cy'))
    as t(rep_id, employee_id, rep_name);
create table marts.mart_commission_statements as
select
    employee_id, rep_id, quarter_start::date as quarter_start, plan_id,
    quota_amount::decimal(18,2) as quota_amount,
    target_incentive::decimal(18,2) as target_incentive, base_rate::double as base_rate,
    credited_bookings::decimal(18,2) as credited_bookings,
    attainment_rate::double as attainment_rate,
    gross_commission::decimal(18,2) as gross_commission,
    capped_commission::decimal(18,2) as capped_commission,
    clawback_amount::decimal(18,2) as clawback_amount,
    spiff_amount::decimal(18,2) as spiff_amount,
    quarter_commission_amount::decimal(18,2) as quarter_commission_amount,
    adjustment_amount::decimal(18,2) as adjustment_amount,
    earned_amount::decimal(18,2) as earned_amount,
    draw_amount::decimal(18,2) as draw_amount,
    draw_recovery_amount::decimal(18,2) as draw_recovery_amount,
    draw_balance::decimal(18,2) as draw_balance,
    payout_amount::decimal(18,2) as payout_amount, cap_amount::decimal(18,2) as cap_amount,
    tier_method, quarterly_draw_amount::decimal(18,2) as quarterly_draw_amount, draw_type,
    opening_draw_balance::decimal(18,2) as opening_draw_balance,
    locked_at is not null as is_locked, locked_at::timestamp as locked_at,
    locked_as_of_date::date as locked_as_of_date,
    case when locked_at is not null then repeat(hash_pair, 32) end as ledger_hash,
    locked_by_run_id
from (values
    -- marginal, capped, a clawback, two SPIFF programs, a recoverable draw topping it up
    ('E1', 'r1', '2026-07-01', 'AE', 80000, 10000, 0.125, 100000.50, 1.25000625,
     11250.13, 11250.13, -1875.00, 850.00, 10225.13, 0, 10225.13, 1774.87, 0, 1774.87,
     12000.00, 20000, 'marginal', 12000, 'recoverable', 0, null, null, null, null),
    -- no quota: nothing earned, no draw
    ('E2', 'r2', '2026-07-01', 'AE', null, 10000, null, 5000, null, 0, 0, 0, 0, 0, 0, 0, 0,
     0, 0, 0, 20000, 'marginal', 0, null, 0, null, null, null, null),
    -- retroactive at 80 % (tier 2), a non-recoverable draw below earnings: an earlier
    -- recoverable balance of 500 is recovered from the excess
    ('E3', 'r3', '2026-07-01', 'AX', 100000, 10000, 0.1, 80000, 0.8, 8000, 8000, 0, 0,
     8000, 0, 8000, 0, 500, 0, 7500, null, 'retroactive', 6000, 'non_recoverable', 500,
     null, null, null, null),
    -- E5: 2026-01-01 locked by run-q1; 2026-04-01 locked by run-q2 with an adjustment of
    -- 600.00 to 2026-01-01; 2026-07-01 open, paying 400.00 more to 2026-01-01 (capped: the
    -- cap of 5,000 takes 1,000 of a 2,000 late deal) and -250.00 to 2026-04-01. E4 and E5 are
    -- on plan AC, which has no tier rows here.
    ('E5', 'r5', '2026-01-01', 'AC', 80000, 10000, 0.125, 32000, 0.4, 4000, 4000, 0, 0,
     4000, 0, 4000, 0, 0, 0, 4000, 5000, 'marginal', 0, null, 0,
     '2026-04-17 02:00:00', '2026-04-16', 'a1', 'run-q1'),
    ('E5', 'r5', '2026-04-01', 'AC', 80000, 10000, 0.125, 24000, 0.3, 3000, 3000, 0, 0,
     3000, 600, 3600, 0, 0, 0, 3600, 5000, 'marginal', 0, null, 0,
     '2026-07-16 02:00:00', '2026-07-15', 'b2', 'run-q2'),
    ('E5', 'r5', '2026-07-01', 'AC', 80000, 10000, 0.125, 8000, 0.1, 1000, 1000, 0, 0,
     1000, 150, 1150, 0, 0, 0, 1150, 5000, 'marginal', 0, null, 0, null, null, null, null),
    -- E4: 2026-04-01 locked by run-q2; no plan in 2026-07-01, which exists only for the
    -- adjustment of -120.50 to 2026-04-01
    ('E4', 'r4', '2026-04-01', 'AC', 40000, 5000, 0.125, 9600, 0.24, 1200, 1200, 0, 0,
     1200, 0, 1200, 0, 0, 0, 1200, null, 'marginal', 0, null, 0,
     '2026-07-16 02:00:00', '2026-07-15', 'c3', 'run-q2'),
    ('E4', 'r4', '2026-07-01', null, null, null, null, 0, null, 0, 0, 0, 0, 0, -120.50,
     -120.50, 0, 0, 0, -120.50, null, null, 0, null, 0, null, null, null, null)
) as t(employee_id, rep_id, quarter_start, plan_id, quota_amount, target_incentive, base_rate,
       credited_bookings, attainment_rate, gross_commission, capped_commission,
       clawback_amount, spiff_amount, quarter_commission_amount, adjustment_amount,
       earned_amount, draw_amount, draw_recovery_amount, draw_balance, payout_amount,
       cap_amount, tier_method, quarterly_draw_amount, draw_type, opening_draw_balance,
       locked_at, locked_as_of_date, hash_pair, locked_by_run_id);
create table marts.fct_commission_lines as
select
    employee_id, rep_id, quarter_start::date as quarter_start, opportunity_id, line_type,
    spiff_id, credited_amount::decimal(18,2) as credited_amount,
    cumulative_before::decimal(18,2) as cumulative_before,
    cumulative_after::decimal(18,2) as cumulative_after,
    commission_amount::decimal(18,2) as commission_amount, plan_id,
    won_date::date as won_date, event_date::date as event_date, opportunity_name,
    account_name, spiff_name
from (values
    ('E1', 'r1', '2026-07-01', 'oa', 'booking', null, 30000, 0, 30000, 1875.00, 'AE',
     '2026-07-02', '2026-07-02', 'Acme <Corp> - Renewal FY26', 'Acme <Corp>', null),
    ('E1', 'r1', '2026-07-01', 'ob', 'booking', null, 70000.50, 30000, 100000.50, 9375.13,
     'AE', '2026-08-01', '2026-08-01', 'Globex - Platform FY26', 'Globex Inc.', null),
    ('E1', 'r1', '2026-07-01', 'oa', 'clawback', null, -30000, null, null, -1875.00, 'AE',
     '2026-07-02', '2026-09-15', 'Acme <Corp> - Renewal FY26', 'Acme <Corp>', null),
    ('E1', 'r1', '2026-07-01', 'oa', 'spiff', 'SP1', 30000, null, null, 300.00, 'AE',
     '2026-07-02', '2026-07-02', 'Acme <Corp> - Renewal FY26', 'Acme <Corp>',
     'Q3 <b>push</b>'),
    ('E1', 'r1', '2026-07-01', 'ob', 'spiff', 'SP1', 70000.50, null, null, 300.00, 'AE',
     '2026-08-01', '2026-08-01', 'Globex - Platform FY26', 'Globex Inc.', 'Q3 <b>push</b>'),
    ('E1', 'r1', '2026-07-01', 'ob', 'spiff', 'SP2', 70000.50, null, null, 250.00, 'AE',
     '2026-08-01', '2026-08-01', 'Globex - Platform FY26', 'Globex Inc.', 'Big deals'),
    ('E2', 'r2', '2026-07-01', 'oc', 'booking', null, 5000, 0, 5000, 0, 'AE',
     '2026-07-10', '2026-07-10', 'Initech - Seats FY26', 'Initech', null),
    ('E3', 'r3', '2026-07-01', 'oe', 'booking', null, 30000, 0, 30000, 3000.00, 'AX',
     '2026-07-15', '2026-07-15', 'Hooli - Pilot FY26', 'Hooli', null),
    ('E3', 'r3', '2026-07-01', 'of', 'booking', null, 50000, 30000, 80000, 5000.00, 'AX',
     '2026-09-01', '2026-09-01', 'Umbrella - Expansion FY26', 'Umbrella Corp.', null),
    ('E5', 'r5', '2026-01-01', 'p1', 'booking', null, 32000, 0, 32000, 4000.00, 'AC',
     '2026-02-10', '2026-02-10', 'Initrode - Suite FY26', 'Initrode', null),
    ('E5', 'r5', '2026-04-01', 'p3', 'booking', null, 24000, 0, 24000, 3000.00, 'AC',
     '2026-05-05', '2026-05-05', 'Vandelay - Import FY26', 'Vandelay Industries', null),
    ('E5', 'r5', '2026-07-01', 'p5', 'booking', null, 8000, 0, 8000, 1000.00, 'AC',
     '2026-08-20', '2026-08-20', 'Pied Piper - Pilot FY27', 'Pied Piper', null),
    ('E4', 'r4', '2026-04-01', 'p6', 'booking', null, 9600, 0, 9600, 1200.00, 'AC',
     '2026-06-01', '2026-06-01', 'Stark - Renewal FY26', 'Stark Industries', null)
) as t(employee_id, rep_id, quarter_start, opportunity_id, line_type, spiff_id,
       credited_amount, cumulative_before, cumulative_after, commission_amount, plan_id,
       won_date, event_date, opportunity_name, account_name, spiff_name);
create table marts.fct_commission_line_tiers as
select
    employee_id, rep_id, quarter_start::date as quarter_start, opportunity_id, plan_id,
    tier_number::bigint as tier_number, tier_rate::double as tier_rate,
    amount_in_tier::decimal(18,2) as amount_in_tier,
    commission_in_tier::decimal(18,2) as commission_in_tier
from (values
    ('E1', 'r1', '2026-07-01', 'oa', 'AE', 1, 0.0625, 30000, 1875.00),
    ('E1', 'r1', '2026-07-01', 'ob', 'AE', 1, 0.0625, 10000, 625.00),
    ('E1', 'r1', '2026-07-01', 'ob', 'AE', 2, 0.125, 40000, 5000.00),
    ('E1', 'r1', '2026-07-01', 'ob', 'AE', 3, 0.1875, 20000.50, 3750.09),
    -- retroactive: each line whole in the tier of the final attainment
    ('E3', 'r3', '2026-07-01', 'oe', 'AX', 2, 0.1, 30000, 3000.00),
    ('E3', 'r3', '2026-07-01', 'of', 'AX', 2, 0.1, 50000, 5000.00)
) as t(employee_id, rep_id, quarter_start, opportunity_id, plan_id, tier_number, tier_rate,
       amount_in_tier, commission_in_tier);
create table marts.mart_commission_statement_tiers as
select
    employee_id, quarter_start::date as quarter_start, plan_id, plan_name, tier_method,
    tier_number::bigint as tier_number,
    floor_attainment::double as floor_attainment,
    ceiling_attainment::double as ceiling_attainment,
    rate_multiplier::double as rate_multiplier,
    tier_lower_amount::decimal(18,2) as tier_lower_amount,
    tier_upper_amount::decimal(18,2) as tier_upper_amount, tier_rate::double as tier_rate,
    cap_multiple::double as cap_multiple, 90::bigint as clawback_days
from (values
    ('E1', '2026-07-01', 'AE', 'Account Executive', 'marginal', 1, 0.0, 0.5, 0.5, 0, 40000,
     0.0625, 2.0),
    ('E1', '2026-07-01', 'AE', 'Account Executive', 'marginal', 2, 0.5, 1.0, 1.0, 40000, 80000,
     0.125, 2.0),
    ('E1', '2026-07-01', 'AE', 'Account Executive', 'marginal', 3, 1.0, null, 1.5, 80000, null,
     0.1875, 2.0),
    ('E2', '2026-07-01', 'AE', 'Account Executive', 'marginal', 1, 0.0, 0.5, 0.5, null, null,
     null, 2.0),
    ('E2', '2026-07-01', 'AE', 'Account Executive', 'marginal', 2, 0.5, 1.0, 1.0, null, null,
     null, 2.0),
    ('E2', '2026-07-01', 'AE', 'Account Executive', 'marginal', 3, 1.0, null, 1.5, null, null,
     null, 2.0),
    ('E3', '2026-07-01', 'AX', 'Accelerated', 'retroactive', 1, 0.0, 0.5, 0.6, 0, 50000, 0.06,
     null),
    ('E3', '2026-07-01', 'AX', 'Accelerated', 'retroactive', 2, 0.5, 1.0, 1.0, 50000, 100000,
     0.1, null),
    ('E3', '2026-07-01', 'AX', 'Accelerated', 'retroactive', 3, 1.0, null, 2.0, 100000, null,
     0.2, null)
) as t(employee_id, quarter_start, plan_id, plan_name, tier_method, tier_number,
       floor_attainment, ceiling_attainment, rate_multiplier, tier_lower_amount,
       tier_upper_amount, tier_rate, cap_multiple);
create table marts.fct_commission_adjustments as
select
    employee_id, rep_id, quarter_start::date as quarter_start,
    adjusted_quarter_start::date as adjusted_quarter_start,
    locked_amount::decimal(18,2) as locked_amount,
    recomputed_amount::decimal(18,2) as recomputed_amount,
    previously_adjusted_amount::decimal(18,2) as previously_adjusted_amount,
    adjustment_amount::decimal(18,2) as adjustment_amount, is_locked
from (values
    -- locked with 2026-04-01
    ('E5', 'r5', '2026-04-01', '2026-01-01', 4000, 4600, 0, 600, true),
    -- paid by the open 2026-07-01
    ('E5', 'r5', '2026-07-01', '2026-01-01', 4000, 5000, 600, 400, false),
    ('E5', 'r5', '2026-07-01', '2026-04-01', 3000, 2750, 0, -250, false),
    ('E4', 'r4', '2026-07-01', '2026-04-01', 1200, 1079.50, 0, -120.50, false)
) as t(employee_id, rep_id, quarter_start, adjusted_quarter_start, locked_amount,
       recomputed_amount, previously_adjusted_amount, adjustment_amount, is_locked);
create table marts.fct_commission_line_changes as
select
    employee_id, adjusted_quarter_start::date as adjusted_quarter_start, opportunity_id,
    line_type, spiff_id, locked_commission_amount::decimal(18,2) as locked_commission_amount,
    recomputed_commission_amount::decimal(18,2) as recomputed_commission_amount,
    difference::decimal(18,2) as difference
from (values
    -- a late deal with no published line: named by its id
    ('E5', '2026-01-01', 'p2', 'booking', null, null, 2000.00, 2000.00),
    -- a split change of the locked line, and a new SPIFF line named from E1's published one
    ('E5', '2026-04-01', 'p3', 'booking', null, 3000.00, 2500.00, -500.00),
    ('E5', '2026-04-01', 'ob', 'spiff', 'SP1', null, 250.00, 250.00),
    ('E4', '2026-04-01', 'p6', 'booking', null, 1200.00, 1079.50, -120.50)
) as t(employee_id, adjusted_quarter_start, opportunity_id, line_type, spiff_id,
       locked_commission_amount, recomputed_commission_amount, difference);
"""


class Page(StatementPage):
    """A statement page with, per line row, its SPIFF program and the text it shows, and the
    payout build-up's steps in order."""

    def __init__(self, html: str) -> None:
        self.steps: list[str] = []
        self.spiff_headings: dict[str, str] = {}
        self.spiff_totals: dict[str, Decimal] = {}
        self.applied_tiers: list[int] = []
        self._heading: str | None = None
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        a = {k: v or "" for k, v in attrs}
        if "data-step" in a:
            self.steps.append(a["data-step"])
        if "data-spiff-program" in a:
            self._heading = a["data-spiff-program"]
            self.spiff_headings[self._heading] = ""
        if "data-spiff-total" in a:
            self.spiff_totals[a["data-spiff-total"]] = Decimal(a["data-value"])
        if "data-applied-tier" in a:
            self.applied_tiers.append(int(a["data-tier"]))

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if tag == "h3":
            self._heading = None

    def handle_data(self, data: str) -> None:
        super().handle_data(data)
        if self._heading is not None:
            self.spiff_headings[self._heading] += data

    def spiffs(self) -> dict[tuple[str, str], dict]:
        return {
            (r["spiff_id"], r["opportunity_id"]): r for r in self.rows if r["line_type"] == "spiff"
        }

    def amount(self, name: str) -> Decimal:
        return Decimal(self.fields[name])

    @property
    def plain(self) -> str:
        """The text a reader sees, its whitespace collapsed (links inside a sentence split it)."""
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def tiny_bi(tmp_path: Path) -> Path:
    path = tmp_path / "bi" / "spm.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        con.execute(TINY_BI)
    return path


def test_statements_show_tiers_clawbacks_and_the_marts_amounts(tiny_bi: Path, tmp_path: Path):
    out = tmp_path / "statements"
    result = render_statements(tiny_bi, out, run_id="run-123")
    assert result.count == 8
    assert result.total_payout == Decimal("29329.50")
    assert result.totals == {
        "earned_amount": Decimal("28054.63"),
        "spiff_amount": Decimal("850.00"),
        "adjustment_amount": Decimal("629.50"),
        "draw_amount": Decimal("1774.87"),
        "draw_recovery_amount": Decimal("500.00"),
    }

    page = StatementPage((out / "2026-07-01" / "E1.html").read_text())
    assert page.body == {"data-employee-id": "E1", "data-quarter-start": "2026-07-01"}
    assert page.fields["payout_amount"] == "12000.00"
    assert page.fields["clawback_amount"] == "-1875.00"
    assert page.fields["cap_amount"] == "20000.00"
    bookings = page.lines("booking")
    # ob spans tiers 1, 2 and the open top tier 3; its parts and its line as published
    assert bookings["ob"]["parts"] == {
        1: (Decimal("10000.00"), Decimal("625.00")),
        2: (Decimal("40000.00"), Decimal("5000.00")),
        3: (Decimal("20000.50"), Decimal("3750.09")),
    }
    assert bookings["ob"]["fields"]["commission_amount"] == "9375.13"
    assert bookings["oa"]["parts"] == {1: (Decimal("30000.00"), Decimal("1875.00"))}
    clawback = page.lines("clawback")["oa"]
    assert clawback["fields"] == {"credited_amount": "-30000.00", "commission_amount": "-1875.00"}
    text = " ".join(page.text)
    assert "≤ 90 days" in text and "75" in text  # lost 75 days after the win, window 90
    assert "70,000.50" in text and "9,375.13" in text and "\u22121,875.00" in text
    assert "125.0 %" in text  # attainment
    assert "Marginal tiers" in text and "Retroactive plan" not in text

    html = (out / "2026-07-01" / "E1.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; Co" in html
    assert "http" not in html.replace("http-equiv", "")  # self-contained: no external asset
    assert "run-123" in html and result.source.sha256[:16] in html


def test_a_statement_without_quota_says_so_and_earns_nothing(tiny_bi: Path, tmp_path: Path):
    render_statements(tiny_bi, tmp_path / "out")
    page = StatementPage((tmp_path / "out" / "2026-07-01" / "E2.html").read_text())
    assert page.fields["quota_amount"] == "" and page.fields["base_rate"] == ""
    assert page.fields["payout_amount"] == "0.00"
    assert page.lines("booking")["oc"]["parts"] == {}
    assert "You have no quota for this quarter" in " ".join(page.text)


def render_page(
    tiny_bi: Path, tmp_path: Path, employee_id: str, quarter: str = "2026-07-01"
) -> Page:
    out = tmp_path / "out"
    if not out.exists():
        render_statements(tiny_bi, out)
    return Page((out / quarter / f"{employee_id}.html").read_text())


def test_spiff_lines_are_grouped_by_program_with_deals_and_amounts(tiny_bi, tmp_path):
    page = render_page(tiny_bi, tmp_path, "E1")
    # one heading per program, its name escaped, in order of name: Big deals, then Q3 push
    assert list(page.spiff_headings) == ["SP2", "SP1"]
    assert page.spiff_headings["SP1"].startswith("Q3 <b>push</b> (SPIFF program SP1, 2 deals)")
    assert page.spiff_headings["SP2"].startswith("Big deals (SPIFF program SP2, 1 deal)")
    html = (tmp_path / "out" / "2026-07-01" / "E1.html").read_text()
    assert "<b>push</b>" not in html and "Q3 &lt;b&gt;push&lt;/b&gt;" in html
    spiffs = page.spiffs()
    # ob qualifies for both programs: one line in each
    assert {key: row["fields"]["commission_amount"] for key, row in spiffs.items()} == {
        ("SP1", "oa"): "300.00",
        ("SP1", "ob"): "300.00",
        ("SP2", "ob"): "250.00",
    }
    assert spiffs[("SP1", "ob")]["fields"]["credited_amount"] == "70000.50"
    assert page.spiff_totals == {"SP1": Decimal("600.00"), "SP2": Decimal("250.00")}
    assert sum(page.spiff_totals.values()) == page.amount("spiff_amount")
    assert "Total SPIFFs: 850.00" in " ".join(page.text)
    # SPIFF lines are neither booking nor clawback lines
    assert set(page.lines("booking")) == {"oa", "ob"} and set(page.lines("clawback")) == {"oa"}
    # without SPIFFs the section says so
    assert "No SPIFFs in this quarter." in " ".join(render_page(tiny_bi, tmp_path, "E3").text)


@pytest.mark.parametrize(
    ("employee_id", "quarter_start"),
    [
        ("E1", "2026-07-01"),
        ("E2", "2026-07-01"),
        ("E3", "2026-07-01"),
        ("E4", "2026-07-01"),  # adjustments only
        ("E5", "2026-07-01"),  # open, paying two adjustments
        ("E5", "2026-04-01"),  # locked, with the adjustment it paid
        ("E5", "2026-01-01"),  # locked
    ],
)
def test_the_payout_build_up_adds_up_to_the_payout(tiny_bi, tmp_path, employee_id, quarter_start):
    """capped + clawbacks + SPIFFs = quarter commission; + adjustments (the total of the
    adjusted quarters' rows) = earned; + draw paid - draw recovered = payout, in that order,
    every figure the mart's."""
    page = render_page(tiny_bi, tmp_path, employee_id, quarter_start)
    assert page.steps == [
        "capped_commission",
        "clawback_amount",
        "spiff_amount",
        "quarter_commission_amount",
        "adjustment_amount",
        "earned_amount",
        "draw_amount",
        "draw_recovery_amount",
        "payout_amount",
    ]
    a = page.amount
    quarter = a("capped_commission") + a("clawback_amount") + a("spiff_amount")
    assert quarter == a("quarter_commission_amount")
    assert quarter + a("adjustment_amount") == a("earned_amount")
    assert a("earned_amount") + a("draw_amount") - a("draw_recovery_amount") == a("payout_amount")
    with duckdb.connect(str(tiny_bi), read_only=True) as con:
        (payout,) = con.execute(
            "select payout_amount from marts.mart_commission_statements "
            "where employee_id = ? and quarter_start = ?::date",
            [employee_id, quarter_start],
        ).fetchone()
        (adjustments,) = con.execute(
            "select sum(adjustment_amount) from marts.fct_commission_adjustments "
            "where employee_id = ? and quarter_start = ?::date",
            [employee_id, quarter_start],
        ).fetchone()
    assert a("payout_amount") == payout
    if adjustments is None:
        assert page.adjustment_total is None and a("adjustment_amount") == 0
    else:  # the step shows the adjustment total, which the adjustments table adds up to
        assert Decimal(page.adjustment_total) == adjustments == a("adjustment_amount")


def test_the_build_up_shows_recoveries_subtracted(tiny_bi, tmp_path):
    e1 = " ".join(render_page(tiny_bi, tmp_path, "E1").text)
    assert "Capped commission" in e1 and "Quarter commission" in e1 and "Earned" in e1
    assert "10,225.13" in e1 and "1,774.87" in e1 and "12,000.00" in e1
    e3 = render_page(tiny_bi, tmp_path, "E3")
    assert e3.fields["draw_recovery_amount"] == "500.00"
    assert "\u2212500.00" in e3.text  # shown as taken away


def test_the_draw_shows_paid_recovered_balance_and_type(tiny_bi, tmp_path):
    e1 = render_page(tiny_bi, tmp_path, "E1")
    assert e1.fields["draw_type"] == "recoverable"
    assert e1.fields["quarterly_draw_amount"] == "12000.00"
    assert e1.fields["opening_draw_balance"] == "0.00"
    assert e1.fields["draw_balance"] == "1774.87"
    assert e1.amount("opening_draw_balance") + e1.amount("draw_amount") - e1.amount(
        "draw_recovery_amount"
    ) == e1.amount("draw_balance")  # recoverable: the draw paid adds to the balance
    text = " ".join(e1.text)
    assert "less than the draw of 12,000.00: 1,774.87 is paid on top" in text
    assert "Your draw is recoverable" in text

    e3 = render_page(tiny_bi, tmp_path, "E3")
    assert e3.fields["draw_type"] == "non_recoverable"
    assert (e3.fields["opening_draw_balance"], e3.fields["draw_balance"]) == ("500.00", "0.00")
    text = " ".join(e3.text)
    assert "non-recoverable" in text
    assert "500.00 of the excess recovers earlier draws, and nothing is left to recover" in text

    e2 = render_page(tiny_bi, tmp_path, "E2")
    assert e2.fields["draw_type"] == ""
    assert "no draw this quarter" in " ".join(e2.text)


def test_every_line_names_the_deal_and_its_account(tiny_bi, tmp_path):
    with duckdb.connect(str(tiny_bi), read_only=True) as con:
        names = dict(
            (row[0], row[1:])
            for row in con.execute(
                "select distinct opportunity_id, opportunity_name, account_name "
                "from marts.fct_commission_lines"
            ).fetchall()
        )
    shown = 0
    for employee_id in ("E1", "E2", "E3"):
        page = render_page(tiny_bi, tmp_path, employee_id)
        for row in page.rows:
            name, account = names[row["opportunity_id"]]
            assert name in row["text"] and account in row["text"], (employee_id, row)
            assert row["opportunity_id"] in row["text"]  # the Salesforce id as well
            shown += 1
    assert shown == 9  # booking, clawback and SPIFF lines
    html = (tmp_path / "out" / "2026-07-01" / "E1.html").read_text()
    assert "Acme &lt;Corp&gt; - Renewal FY26" in html and "<Corp>" not in html


def test_a_retroactive_plan_says_the_whole_quarter_is_paid_at_the_final_tier(tiny_bi, tmp_path):
    page = render_page(tiny_bi, tmp_path, "E3")
    assert page.fields["tier_method"] == "retroactive"
    assert page.applied_tiers == [2]
    text = " ".join(page.text)
    assert "Retroactive plan:" in text
    assert "the whole quarter is paid at the tier of your final attainment" in text
    assert "Your attainment of 80.0 % is in tier 2 (multiplier 1.0)" in text
    assert "Tiers (retroactive)." in text
    bookings = page.lines("booking")
    assert bookings["oe"]["parts"] == {2: (Decimal("30000.00"), Decimal("3000.00"))}
    assert bookings["of"]["parts"] == {2: (Decimal("50000.00"), Decimal("5000.00"))}
    marginal = render_page(tiny_bi, tmp_path, "E1")
    assert marginal.fields["tier_method"] == "marginal" and marginal.applied_tiers == []


def test_a_statement_for_an_adjustment_only_says_there_is_no_plan(tiny_bi, tmp_path):
    """A row that exists only for an adjustment: no plan, every commission amount 0; the page
    shows the adjustment and its deal-level change, and no tiers or lines of its own."""
    page = render_page(tiny_bi, tmp_path, "E4")
    text = page.plain
    assert "You have no plan this quarter" in text and "You have no quota" not in text
    assert "plan None" not in text and "None" not in text
    assert "no plan this quarter (adjustments only)" in text
    assert page.fields["adjustment_amount"] == "-120.50"
    assert page.fields["payout_amount"] == "-120.50"
    assert (page.fields["quota_amount"], page.fields["cap_amount"]) == ("", "")
    assert "pays \u2212120.50 of adjustments" in text
    # no tiers, booking lines, clawbacks or SPIFFs sections: one sentence instead
    assert "Your tiers" not in text and "Booking lines" not in text
    assert "No plan this quarter, so no tiers, booking lines, clawbacks or SPIFFs" in text
    assert page.rows == []
    assert page.adjustments == {
        "2026-04-01": {
            "locked_amount": "1200.00",
            "recomputed_amount": "1079.50",
            "previously_adjusted_amount": "0.00",
            "adjustment_amount": "-120.50",
        }
    }
    (change,) = page.line_changes
    assert change["fields"]["difference"] == "-120.50"
    assert "Stark - Renewal FY26" in " ".join(change["text"])  # named from the locked line
    assert page.fields["is_locked"] == "false"
    index = (tmp_path / "out" / "index.html").read_text()
    assert "<td>E4</td><td>— (adjustments only)</td>" in index


def test_a_locked_statement_says_when_by_which_run_and_its_hash(tiny_bi, tmp_path):
    page = render_page(tiny_bi, tmp_path, "E5", "2026-01-01")
    assert page.fields["is_locked"] == "true"
    assert page.fields["locked_at"] == "2026-04-17 02:00:00"
    assert page.fields["locked_as_of_date"] == "2026-04-16"
    assert page.fields["locked_by_run_id"] == "run-q1"
    assert page.fields["ledger_hash"] == "a1" * 32
    text = page.plain
    assert "Locked." in text and "2026-04-17 02:00:00 UTC" in text and "a1" * 32 in text
    # its figures stay as locked; the quarters that pay its later changes are named
    assert page.fields["payout_amount"] == "4000.00"
    assert page.adjusted_in == {"2026-04-01": "600.00", "2026-07-01": "400.00"}
    assert "600.00 was paid as an adjustment in the quarter starting 2026-04-01" in text
    assert "400.00 is to be paid as an adjustment in the quarter starting 2026-07-01" in text
    html = (tmp_path / "out" / "2026-01-01" / "E5.html").read_text()
    assert 'href="../2026-07-01/E5.html#adjusted-2026-01-01"' in html

    open_page = render_page(tiny_bi, tmp_path, "E1")
    assert open_page.fields["is_locked"] == "false"
    assert "locked_at" not in open_page.fields and "ledger_hash" not in open_page.fields
    assert "Open quarter: not locked yet." in open_page.plain

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    locks = {(f["employee_id"], f["quarter_start"]): f for f in manifest["files"]}
    assert locks[("E5", "2026-01-01")]["is_locked"] is True
    assert locks[("E5", "2026-01-01")]["ledger_hash"] == "a1" * 32
    assert locks[("E1", "2026-07-01")]["is_locked"] is False
    index = (tmp_path / "out" / "index.html").read_text()
    locked = '<span class="lock" data-locked="2">· locked 2026-07-16 02:00:00 UTC</span>'
    assert f'<h2 id="q-2026-04-01">Quarter starting 2026-04-01 {locked}</h2>' in index
    assert '<h2 id="q-2026-07-01">Quarter starting 2026-07-01</h2>' in index


def test_a_statement_shows_each_adjusted_quarter_and_its_deal_changes(tiny_bi, tmp_path):
    page = render_page(tiny_bi, tmp_path, "E5")
    assert page.adjustments == {
        "2026-01-01": {
            "locked_amount": "4000.00",
            "recomputed_amount": "5000.00",
            "previously_adjusted_amount": "600.00",
            "adjustment_amount": "400.00",
        },
        "2026-04-01": {
            "locked_amount": "3000.00",
            "recomputed_amount": "2750.00",
            "previously_adjusted_amount": "0.00",
            "adjustment_amount": "-250.00",
        },
    }
    assert page.adjustment_total == page.fields["adjustment_amount"] == "150.00"
    text = page.plain
    # the build-up's adjustments step names the quarters it adjusts
    assert "Adjustments to earlier, already paid quarters (2026-01-01, 2026-04-01)" in text
    changes = {
        (c["adjusted_quarter_start"], c["line_type"], c["opportunity_id"], c["spiff_id"]): c
        for c in page.line_changes
    }
    assert {key: c["fields"] for key, c in changes.items()} == {
        ("2026-01-01", "booking", "p2", None): {
            "locked_commission_amount": "",
            "recomputed_commission_amount": "2000.00",
            "difference": "2000.00",
        },
        ("2026-04-01", "booking", "p3", None): {
            "locked_commission_amount": "3000.00",
            "recomputed_commission_amount": "2500.00",
            "difference": "-500.00",
        },
        ("2026-04-01", "spiff", "ob", "SP1"): {
            "locked_commission_amount": "",
            "recomputed_commission_amount": "250.00",
            "difference": "250.00",
        },
    }
    row_text = {key: " ".join(c["text"]) for key, c in changes.items()}
    # named from the locked line, else from another published line of the deal, else by id
    assert "Vandelay - Import FY26" in row_text[("2026-04-01", "booking", "p3", None)]
    assert "Vandelay Industries" in row_text[("2026-04-01", "booking", "p3", None)]
    spiff = row_text[("2026-04-01", "spiff", "ob", "SP1")]
    assert "Globex - Platform FY26" in spiff and "Globex Inc." in spiff
    assert "SPIFF Q3 <b>push</b>" in spiff and "new: not in the locked statement" in spiff
    assert "Opportunity p2" in row_text[("2026-01-01", "booking", "p2", None)]
    assert page.changes_totals == {"2026-01-01": "2000.00", "2026-04-01": "-250.00"}
    # recomputed - locked - already adjusted = adjustment; the cap explains lines vs quarter
    assert "a change of 1,000.00, of which 600.00 was already paid as adjustments" in text
    assert "This quarter pays 400.00." in text
    assert "The lines change by 2,000.00 but the quarter commission by 1,000.00" in text
    assert "the plan's cap, which accounts for the difference (\u22121,000.00)" in text
    assert text.count("accounts for the difference") == 1  # 2026-04-01's lines add up
    html = (tmp_path / "out" / "2026-07-01" / "E5.html").read_text()
    assert 'href="../2026-01-01/E5.html"' in html and 'href="../2026-04-01/E5.html"' in html
    assert "<b>push</b>" not in html


def test_a_locked_statement_shows_the_adjustments_it_locked_without_todays_deal_changes(
    tiny_bi, tmp_path
):
    """fct_commission_line_changes compares with the current data: on a locked statement it
    would mix in later changes (2026-01-01's p2, paid by 2026-07-01), so only open statements
    show it."""
    page = render_page(tiny_bi, tmp_path, "E5", "2026-04-01")
    assert page.fields["is_locked"] == "true" and page.fields["locked_by_run_id"] == "run-q2"
    assert page.adjustments == {
        "2026-01-01": {
            "locked_amount": "4000.00",
            "recomputed_amount": "4600.00",
            "previously_adjusted_amount": "0.00",
            "adjustment_amount": "600.00",
        }
    }
    assert page.adjustment_total == "600.00" and page.line_changes == []
    text = page.plain
    assert "This adjustment is locked with this statement." in text
    # 2026-04-01 itself was adjusted later, by the open quarter
    assert page.adjusted_in == {"2026-07-01": "-250.00"}


def test_the_locking_run_is_shown_when_the_published_file_has_it(tiny_bi, tmp_path):
    """A file published before ``locked_by_run_id`` still renders its locks, without the run."""
    with duckdb.connect(str(tiny_bi)) as con:
        con.execute("alter table marts.mart_commission_statements drop column locked_by_run_id")
    page = render_page(tiny_bi, tmp_path, "E5", "2026-01-01")
    assert page.fields["is_locked"] == "true" and "locked_by_run_id" not in page.fields
    assert page.fields["ledger_hash"] == "a1" * 32
    assert "(run " not in page.plain


def test_index_and_manifest_name_the_published_file(tiny_bi: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = render_statements(tiny_bi, out, run_id="run-123")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["statements"] == 8 and manifest["total_payout"] == "29329.50"
    assert manifest["totals"] == {
        "earned_amount": "28054.63",
        "spiff_amount": "850.00",
        "adjustment_amount": "629.50",
        "draw_amount": "1774.87",
        "draw_recovery_amount": "500.00",
    }
    assert manifest["source"]["path"] == str(tiny_bi)
    assert manifest["source"]["sha256"] == result.source.sha256
    assert manifest["source"]["size"] == tiny_bi.stat().st_size
    assert manifest["source"]["publish_run_id"] == "run-123"
    assert {f["path"] for f in manifest["files"]} == {
        "2026-07-01/E1.html",
        "2026-07-01/E2.html",
        "2026-07-01/E3.html",
        "2026-07-01/E4.html",
        "2026-07-01/E5.html",
        "2026-04-01/E4.html",
        "2026-04-01/E5.html",
        "2026-01-01/E5.html",
    }
    index = (out / "index.html").read_text()
    assert 'href="2026-07-01/E1.html"' in index and 'href="2026-07-01/E2.html"' in index
    assert "Zoë &lt;script&gt;" in index
    # earned, draw paid less recovered, payout per statement; the totals above the list
    assert "10,225.13</td>" in index and "1,774.87</td>" in index and "12,000.00</td>" in index
    assert "\u2212500.00</td>" in index  # E3: nothing paid as draw, 500 recovered
    assert "of which SPIFFs 850.00 and adjustments to locked quarters 629.50" in index


def test_rendering_replaces_the_output_whole(tiny_bi: Path, tmp_path: Path):
    out = tmp_path / "out"
    render_statements(tiny_bi, out)
    first = os.readlink(out)
    with duckdb.connect(str(tiny_bi)) as con:
        con.execute("delete from marts.mart_commission_statements where employee_id = 'E2'")
    render_statements(tiny_bi, out)
    assert out.is_symlink() and os.readlink(out) != first
    assert not (out / "2026-07-01" / "E2.html").exists()  # no leftovers of the previous output
    hidden = {p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")}
    assert hidden == {first, os.readlink(out)}  # the previous version stays for its readers
    assert (tmp_path / first / "2026-07-01" / "E2.html").is_file()
    render_statements(tiny_bi, out)
    assert first not in {p.name for p in tmp_path.iterdir()}  # older ones are removed


def test_a_plain_folder_of_earlier_statements_is_replaced_but_no_other(tiny_bi, tmp_path):
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "manifest.json").write_text("{}")
    render_statements(tiny_bi, earlier)
    assert earlier.is_symlink() and (earlier / "2026-07-01" / "E1.html").is_file()

    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("keep me")
    with pytest.raises(StatementsError, match="does not hold commission statements"):
        render_statements(tiny_bi, foreign)
    assert (foreign / "thesis.txt").read_text() == "keep me"


def test_no_published_file_or_an_old_one_fails_clearly(tiny_bi: Path, tmp_path: Path):
    with pytest.raises(StatementsError, match=r"No published BI file at .*published state"):
        render_statements(tmp_path / "missing.duckdb", tmp_path / "out")
    with duckdb.connect(str(tiny_bi)) as con:
        con.execute("alter table marts.mart_commission_statements drop column draw_balance")
        con.execute("alter table marts.mart_commission_statements drop column ledger_hash")
        con.execute("alter table marts.fct_commission_lines drop column account_name")
    with pytest.raises(
        StatementsError,
        match=r"no marts\.mart_commission_statements\.draw_balance, "
        r"marts\.mart_commission_statements\.ledger_hash, "
        r"marts\.fct_commission_lines\.account_name: it was published before statements showed "
        "SPIFFs, draws, deal names and locks",
    ):
        render_statements(tiny_bi, tmp_path / "out")
    with duckdb.connect(str(tiny_bi)) as con:
        con.execute("drop table marts.fct_commission_line_tiers")
        con.execute("drop table marts.fct_commission_line_changes")
    with pytest.raises(
        StatementsError,
        match=r"no marts\.fct_commission_line_tiers, marts\.fct_commission_line_changes",
    ):
        render_statements(tiny_bi, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_cli_writes_to_spm_statements_dir_and_fails_without_a_bi_file(tiny_bi, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPM_")}
    env |= {"SPM_BI_DATABASE": str(tiny_bi), "SPM_STATEMENTS_DIR": str(tmp_path / "st")}
    command = [sys.executable, "-m", "orchestration.cli.statements"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"8 statements (total payout {money(Decimal('29329.50'))}; 8 rendered" in done.stdout
    assert "SPIFFs 850.00" in done.stdout and "draws paid 1,774.87, recovered 500.00" in done.stdout
    assert (tmp_path / "st" / "index.html").is_file()

    env["SPM_BI_DATABASE"] = str(tmp_path / "nothing" / "spm.duckdb")
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "other")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "No published BI file" in done.stderr
    assert not (tmp_path / "other").exists()


def test_spm_statements_dir_default_and_validation(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("SPM_STATEMENTS_DIR", raising=False)
    assert sv.statements_dir(tmp_path / "bi" / "spm.duckdb") == tmp_path / "statements"
    monkeypatch.setenv("SPM_STATEMENTS_DIR", "out/statements")
    assert sv.statements_dir(tmp_path / "bi.duckdb") == sv.PROJECT_ROOT / "out/statements"
    assert sv.validate_environment({"SPM_STATEMENTS_DIR": str(tmp_path / "s")}, tmp_path) == []
    (blank,) = sv.validate_environment({"SPM_STATEMENTS_DIR": " "}, tmp_path)
    assert blank.startswith("SPM_STATEMENTS_DIR=' ' ") and "blank" in blank
    (tmp_path / "landing").mkdir()
    environ = {"SPM_LANDING_DIR": "landing", "SPM_STATEMENTS_DIR": str(tmp_path / "landing")}
    (same,) = sv.validate_environment(environ, tmp_path)
    assert "same path as SPM_LANDING_DIR" in same


def test_one_owner_only_archive_per_employee_with_only_their_pages(tiny_bi, tmp_path):
    import json
    import stat
    import zipfile

    from orchestration.lib.statements.deliver import per_rep_archives

    out = tmp_path / "out"
    render_statements(tiny_bi, out)
    manifest = json.loads((out / "manifest.json").read_text())
    expected: dict[str, set[str]] = {}
    for entry in manifest["files"]:
        expected.setdefault(entry["employee_id"], set()).add(entry["path"])
    archives = per_rep_archives(out, tmp_path / "mail")
    assert set(archives) == set(expected)
    for employee, archive in archives.items():
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        with zipfile.ZipFile(archive) as z:
            names = set(z.namelist())
            assert names == expected[employee] | {"manifest.json"}
            own = json.loads(z.read("manifest.json"))
            assert {e["employee_id"] for e in own["files"]} == {employee}
            for path in expected[employee]:
                assert z.read(path) == (out / path).read_bytes()
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
    assert not list((tmp_path / "mail").glob("*.part"))
    # The same pages give the same bytes.
    again = per_rep_archives(out, tmp_path / "again")
    assert all(again[e].read_bytes() == archives[e].read_bytes() for e in archives)


def test_only_statements_whose_rows_changed_are_rendered_again(tiny_bi, tmp_path):
    out = tmp_path / "out"
    first = render_statements(tiny_bi, out, run_id="run-1")
    assert (first.rendered, first.reused) == (8, 0)
    inodes = {
        p.relative_to(out).as_posix(): p.stat().st_ino
        for p in out.rglob("*.html")
        if p.name != "index.html"  # the index is written every time
    }
    before = {f["path"]: f for f in json.loads((out / "manifest.json").read_text())["files"]}

    # Nothing changed: every page is the previous one (the same file, its footer unchanged).
    again = render_statements(tiny_bi, out, run_id="run-2")
    assert (again.rendered, again.reused) == (0, 8)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["rendered"], manifest["reused"]) == (0, 8)
    assert {f["path"]: f for f in manifest["files"]} == before
    for path, inode in inodes.items():
        assert (out / path).stat().st_ino == inode, path
    assert "run-1" in (out / "2026-07-01" / "E2.html").read_text()

    # One statement's rows change: that page alone is rendered again, from the new publish.
    with duckdb.connect(str(tiny_bi)) as con:
        con.execute(
            "update marts.mart_commission_statements set payout_amount = payout_amount + 1 "
            "where employee_id = 'E2' and quarter_start = '2026-07-01'"
        )
    third = render_statements(tiny_bi, out, run_id="run-3")
    assert (third.rendered, third.reused) == (1, 7)
    changed = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*.html")
        if p.name != "index.html" and p.stat().st_ino != inodes[p.relative_to(out).as_posix()]
    }
    assert changed == {"2026-07-01/E2.html"}
    page = (out / "2026-07-01" / "E2.html").read_text()
    assert "run-3" in page
    files = {f["path"]: f for f in json.loads((out / "manifest.json").read_text())["files"]}
    assert files["2026-07-01/E2.html"]["input_hash"] != before["2026-07-01/E2.html"]["input_hash"]
    assert files["2026-07-01/E2.html"]["rendered_from_sha256"] == third.source.sha256
    assert files["2026-07-01/E1.html"] == before["2026-07-01/E1.html"]


def test_a_new_renderer_or_a_missing_page_renders_again(tiny_bi, tmp_path, monkeypatch):
    import orchestration.lib.statements.render as render

    out = tmp_path / "out"
    render_statements(tiny_bi, out)
    # A page gone from the previous folder is rendered, not lost.
    (out / "2026-07-01" / "E1.html").unlink()
    result = render_statements(tiny_bi, out)
    assert (result.rendered, result.reused) == (1, 7)
    assert (out / "2026-07-01" / "E1.html").is_file()
    # A change to the templates or the filters (the renderer's hash) renders every page.
    monkeypatch.setattr(render, "renderer_hash", lambda: "another renderer")
    result = render_statements(tiny_bi, out)
    assert (result.rendered, result.reused) == (8, 0)


def test_the_renderer_hash_covers_this_module_and_the_templates():
    from orchestration.lib.statements.render import TEMPLATES, renderer_hash

    assert len(renderer_hash()) == 64 and renderer_hash() == renderer_hash()
    assert any(TEMPLATES.glob("*.j2"))


def test_page_hashes_do_not_depend_on_the_process(tiny_bi, tmp_path):
    """Each run is a new process with its own string-hash seed: a context whose bytes varied
    with it (a set among the rows) would render every page again every night."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from orchestration.lib.statements.render import "
        "build_statements, input_hash, read_published; "
        "_, published = read_published(Path(sys.argv[1])); "
        "print(json.dumps([input_hash(c, 'r') for c in build_statements(published)]))"
    )
    hashes = [
        subprocess.run(
            [sys.executable, "-c", code, str(tiny_bi)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert len(json.loads(hashes[0])) == 8
    assert hashes[0] == hashes[1]


@pytest.mark.parametrize(
    "manifest",
    [
        {"source": {"path": "a", "size": 1}, "statements": 2, "files": [{"p": 1}, {"p": "x"}]},
        {"source": {}, "files": []},
        {"files": [{"p": 1}]},
    ],
)
def test_the_manifest_is_json_with_one_statement_per_line(manifest):
    from orchestration.lib.statements.render import manifest_text

    text = manifest_text(manifest)
    assert json.loads(text) == manifest
    assert list(json.loads(text)) == list(manifest)  # keys in order, files last
    if manifest["files"] and len(manifest) > 1:
        lines = text.splitlines()
        first = lines.index('  "files": [') + 1
        entries = lines[first : first + len(manifest["files"])]
        assert [json.loads(line.strip().rstrip(",")) for line in entries] == manifest["files"]
