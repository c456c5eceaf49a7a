"""Every commission statement of the generated run's published file, parsed back from its HTML,
equals the marts to the cent (its payout build-up, draw, and booking, clawback and SPIFF lines,
each named by its deal and account); the pipeline renders them after publish."""

import json
import time
from collections import defaultdict
from decimal import Decimal

import dagster as dg
import pytest

from orchestration.lib.statements.render import render_statements
from tests.helpers.pipeline import PipelineRun, query
from tests.helpers.statement_pages import StatementPage, decimal_or_none

pytestmark = pytest.mark.e2e

SUMMARY = (
    "quota_amount",
    "target_incentive",
    "credited_bookings",
    "gross_commission",
    "cap_amount",
    "capped_commission",
    "clawback_amount",
    "spiff_amount",
    "quarter_commission_amount",
    "adjustment_amount",
    "earned_amount",
    "draw_amount",
    "draw_recovery_amount",
    "quarterly_draw_amount",
    "opening_draw_balance",
    "draw_balance",
    "payout_amount",
)

# Shown only for a statement with a draw or a draw balance.
DRAW_TERMS = ("quarterly_draw_amount", "opening_draw_balance", "draw_balance")


def rows(database, sql: str, names: tuple[str, ...]) -> list[dict]:
    return [dict(zip(names, row, strict=True)) for row in query(database, sql)]


@pytest.fixture(scope="module")
def rendered(generated_run: PipelineRun, tmp_path_factory):
    out = tmp_path_factory.mktemp("statements") / "out"
    started = time.monotonic()
    result = render_statements(generated_run.bi, out)
    return result, out, time.monotonic() - started


def test_every_statement_equals_the_marts_to_the_cent(generated_run: PipelineRun, rendered):
    result, out, _ = rendered
    bi = generated_run.bi
    statements = rows(
        bi,
        f"select employee_id, quarter_start, tier_method, {', '.join(SUMMARY)} "
        "from marts.mart_commission_statements",
        ("employee_id", "quarter_start", "tier_method", *SUMMARY),
    )
    lines = defaultdict(dict)
    for line in rows(
        bi,
        "select employee_id, quarter_start, opportunity_id, line_type, spiff_id, "
        "credited_amount, commission_amount, opportunity_name, account_name "
        "from marts.fct_commission_lines",
        (
            "employee_id",
            "quarter_start",
            "opportunity_id",
            "line_type",
            "spiff_id",
            "credited",
            "commission",
            "opportunity_name",
            "account_name",
        ),
    ):
        key = (line["employee_id"], line["quarter_start"])
        lines[key][(line["line_type"], line["opportunity_id"], line["spiff_id"])] = line
    parts = defaultdict(dict)
    for part in rows(
        bi,
        "select employee_id, quarter_start, opportunity_id, tier_number, amount_in_tier, "
        "commission_in_tier from marts.fct_commission_line_tiers",
        ("employee_id", "quarter_start", "opportunity_id", "tier", "amount", "commission"),
    ):
        key = (part["employee_id"], part["quarter_start"], part["opportunity_id"])
        parts[key][part["tier"]] = (part["amount"], part["commission"])

    assert len(statements) == result.count > 50
    assert result.total_payout == sum(s["payout_amount"] for s in statements)
    lines_with_parts = spiff_lines = 0
    for statement in statements:
        key = (statement["employee_id"], statement["quarter_start"])
        path = out / statement["quarter_start"].isoformat() / f"{statement['employee_id']}.html"
        page = StatementPage(path.read_text())
        for name in SUMMARY:
            if name in DRAW_TERMS and name not in page.fields:
                # "no draw this quarter, and no draw balance to recover"
                assert statement[name] == 0 and page.fields["draw_type"] == "", (path, name)
                continue
            assert decimal_or_none(page.fields[name]) == statement[name], (path, name)
        # the build-up adds up to the payout shown
        own_lines = ("capped_commission", "clawback_amount", "spiff_amount")
        quarter = sum(Decimal(page.fields[n]) for n in own_lines)
        earned = quarter + Decimal(page.fields["adjustment_amount"])
        draws = Decimal(page.fields["draw_amount"]) - Decimal(page.fields["draw_recovery_amount"])
        assert Decimal(page.fields["quarter_commission_amount"]) == quarter, path
        assert Decimal(page.fields["earned_amount"]) == earned, path
        assert Decimal(page.fields["payout_amount"]) == earned + draws, path
        shown = {(r["line_type"], r["opportunity_id"], r["spiff_id"]): r for r in page.rows}
        assert len(shown) == len(page.rows), path
        # every booking, clawback and SPIFF line, nothing else
        assert set(shown) == set(lines[key]), path
        for line_key, line in lines[key].items():
            fields = shown[line_key]["fields"]
            assert Decimal(fields["commission_amount"]) == line["commission"], (path, line_key)
            assert Decimal(fields["credited_amount"]) == line["credited"], (path, line_key)
            text = " ".join(shown[line_key]["text"])
            assert line["opportunity_name"] in text and line["account_name"] in text, line_key
            spiff_lines += line_key[0] == "spiff"
            tier_parts = shown[line_key]["parts"]
            # booking lines show their published tier parts; clawbacks do not fill tiers
            expected = parts.get((*key, line_key[1]), {}) if line_key[0] == "booking" else {}
            assert tier_parts == expected, (path, line_key)
            if tier_parts:
                lines_with_parts += 1
                total = sum(commission for _, commission in tier_parts.values())
                assert abs(total - line["commission"]) <= Decimal("0.005") * len(tier_parts)
            elif line_key[0] == "booking" and statement["quota_amount"]:
                # no part: nothing credited, or a retroactive quarter whose attainment is in no
                # tier (multiplier 0)
                assert line["commission"] == 0, (path, line_key)
                assert line["credited"] == 0 or statement["tier_method"] == "retroactive"
    assert lines_with_parts > 100
    assert spiff_lines > 0  # SPIFF lines are in the data
    assert any(len(p) > 1 for p in parts.values())  # lines that span tiers are in the data


def test_index_and_manifest_list_every_statement(generated_run: PipelineRun, rendered):
    result, out, seconds = rendered
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["statements"] == result.count == len(manifest["files"])
    (total,) = query(
        generated_run.bi, "select sum(payout_amount) from marts.mart_commission_statements"
    )[0]
    assert Decimal(manifest["total_payout"]) == total
    assert manifest["source"]["path"] == str(generated_run.bi)
    index = (out / "index.html").read_text()
    assert all(f'href="{f["path"]}"' in index for f in manifest["files"])
    assert seconds < 60


def test_the_pipeline_rendered_them_after_publish(generated_run: PipelineRun):
    """The run of ``generated_run`` materialized ``commission_statements`` after publish, into
    ``statements/`` beside the BI file's folder, from the file publish wrote."""
    out = generated_run.bi.parent.parent / "statements"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["path"] == str(generated_run.bi)
    assert manifest["source"]["publish_run_id"]
    (count,) = query(generated_run.bi, "select count(*) from marts.mart_commission_statements")[0]
    assert manifest["statements"] == count


def test_the_asset_is_downstream_of_publish():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("commission_statements"))
    assert node.parent_keys == {dg.AssetKey("publish")}
