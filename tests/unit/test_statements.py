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
select * from (values ('r1', 'E1', 'Zoë <script>alert(1)</script> & Co'), ('r2', 'E2', 'Ann'))
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
    payout_amount::decimal(18,2) as payout_amount, cap_amount::decimal(18,2) as cap_amount
from (values
    ('E1', 'r1', '2026-07-01', 'AE', 80000, 10000, 0.125, 100000.50, 1.25000625,
     11250.13, 11250.13, -1875.00, 9375.13, 20000),
    ('E2', 'r2', '2026-07-01', 'AE', null, 10000, null, 5000, null, 0, 0, 0, 0, 20000)
) as t(employee_id, rep_id, quarter_start, plan_id, quota_amount, target_incentive, base_rate,
       credited_bookings, attainment_rate, gross_commission, capped_commission,
       clawback_amount, payout_amount, cap_amount);
create table marts.fct_commission_lines as
select
    employee_id, rep_id, quarter_start::date as quarter_start, opportunity_id, line_type,
    credited_amount::decimal(18,2) as credited_amount,
    cumulative_before::decimal(18,2) as cumulative_before,
    cumulative_after::decimal(18,2) as cumulative_after,
    commission_amount::decimal(18,2) as commission_amount, plan_id,
    won_date::date as won_date, event_date::date as event_date
from (values
    ('E1', 'r1', '2026-07-01', 'oa', 'booking', 30000, 0, 30000, 1875.00, 'AE',
     '2026-07-02', '2026-07-02'),
    ('E1', 'r1', '2026-07-01', 'ob', 'booking', 70000.50, 30000, 100000.50, 9375.13, 'AE',
     '2026-08-01', '2026-08-01'),
    ('E1', 'r1', '2026-07-01', 'oa', 'clawback', -30000, null, null, -1875.00, 'AE',
     '2026-07-02', '2026-09-15'),
    ('E2', 'r2', '2026-07-01', 'oc', 'booking', 5000, 0, 5000, 0, 'AE',
     '2026-07-10', '2026-07-10')
) as t(employee_id, rep_id, quarter_start, opportunity_id, line_type, credited_amount,
       cumulative_before, cumulative_after, commission_amount, plan_id, won_date, event_date);
create table marts.fct_commission_line_tiers as
select
    employee_id, 'r1' as rep_id, quarter_start::date as quarter_start, opportunity_id,
    'AE' as plan_id,
    tier_number::bigint as tier_number, tier_rate::double as tier_rate,
    amount_in_tier::decimal(18,2) as amount_in_tier,
    commission_in_tier::decimal(18,2) as commission_in_tier
from (values
    ('E1', '2026-07-01', 'oa', 1, 0.0625, 30000, 1875.00),
    ('E1', '2026-07-01', 'ob', 1, 0.0625, 10000, 625.00),
    ('E1', '2026-07-01', 'ob', 2, 0.125, 40000, 5000.00),
    ('E1', '2026-07-01', 'ob', 3, 0.1875, 20000.50, 3750.09)
) as t(employee_id, quarter_start, opportunity_id, tier_number, tier_rate, amount_in_tier,
       commission_in_tier);
create table marts.mart_commission_statement_tiers as
select
    employee_id, quarter_start::date as quarter_start, 'AE' as plan_id,
    'Account Executive' as plan_name, tier_number::bigint as tier_number,
    floor_attainment::double as floor_attainment,
    ceiling_attainment::double as ceiling_attainment,
    rate_multiplier::double as rate_multiplier,
    tier_lower_amount::decimal(18,2) as tier_lower_amount,
    tier_upper_amount::decimal(18,2) as tier_upper_amount, tier_rate::double as tier_rate,
    2.0::double as cap_multiple, 90::bigint as clawback_days
from (values
    ('E1', '2026-07-01', 1, 0.0, 0.5, 0.5, 0, 40000, 0.0625),
    ('E1', '2026-07-01', 2, 0.5, 1.0, 1.0, 40000, 80000, 0.125),
    ('E1', '2026-07-01', 3, 1.0, null, 1.5, 80000, null, 0.1875),
    ('E2', '2026-07-01', 1, 0.0, 0.5, 0.5, null, null, null),
    ('E2', '2026-07-01', 2, 0.5, 1.0, 1.0, null, null, null),
    ('E2', '2026-07-01', 3, 1.0, null, 1.5, null, null, null)
) as t(employee_id, quarter_start, tier_number, floor_attainment, ceiling_attainment,
       rate_multiplier, tier_lower_amount, tier_upper_amount, tier_rate);
"""


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
    assert result.count == 2
    assert result.total_payout == Decimal("9375.13")

    page = StatementPage((out / "2026-07-01" / "E1.html").read_text())
    assert page.body == {"data-employee-id": "E1", "data-quarter-start": "2026-07-01"}
    assert page.fields["payout_amount"] == "9375.13"
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


def test_index_and_manifest_name_the_published_file(tiny_bi: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = render_statements(tiny_bi, out, run_id="run-123")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["statements"] == 2 and manifest["total_payout"] == "9375.13"
    assert manifest["source"]["path"] == str(tiny_bi)
    assert manifest["source"]["sha256"] == result.source.sha256
    assert manifest["source"]["size"] == tiny_bi.stat().st_size
    assert manifest["source"]["publish_run_id"] == "run-123"
    assert {f["path"] for f in manifest["files"]} == {"2026-07-01/E1.html", "2026-07-01/E2.html"}
    index = (out / "index.html").read_text()
    assert 'href="2026-07-01/E1.html"' in index and 'href="2026-07-01/E2.html"' in index
    assert "Zoë &lt;script&gt;" in index


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
        con.execute("drop table marts.fct_commission_line_tiers")
    with pytest.raises(StatementsError, match=r"no marts\.fct_commission_line_tiers"):
        render_statements(tiny_bi, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_cli_writes_to_spm_statements_dir_and_fails_without_a_bi_file(tiny_bi, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPM_")}
    env |= {"SPM_BI_DATABASE": str(tiny_bi), "SPM_STATEMENTS_DIR": str(tmp_path / "st")}
    command = [sys.executable, "-m", "orchestration.cli.statements"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"2 statements (total payout {money(Decimal('9375.13'))})" in done.stdout
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
