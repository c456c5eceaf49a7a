"""The demo generator honours the source contract and produces data for every downstream rule.

One small dataset (scale 0.2) is generated per module and read back with the csv module; the
commission mechanics are also checked at scale 0.1 (the end-to-end tests' seed and date) and 1.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import (
    BOOL,
    DATE,
    DOUBLE,
    INT,
    MONEY,
    OBJECTS,
    OBJECTS_BY_FOLDER,
    ROW_RULES,
    TS,
)
from ingestion.demo import generate
from ingestion.demo.__main__ import main
from ingestion.demo.delta import NextNight, next_night, write_next_night
from ingestion.demo.ids import BASE62, KEY_PREFIX, checksum_suffix
from ingestion.demo.sales_ops import comp_periods
from ingestion.demo.timeline import make_timeline
from ingestion.loader import load_object

AS_OF = date(2026, 11, 25)
SCALE = 0.2
Row = dict[str, str]

SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SF_ID = re.compile(r"^[0-9A-Za-z]{18}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MONEY_VALUE = re.compile(r"^-?\d+(\.\d{1,2})?$")
FILE_NAME = re.compile(r"^[A-Za-z_]+_(\d{8}T\d{6}Z)_[A-Za-z0-9-]+\.csv$")
FIRST_DAY_OF_QUARTER = {(1, 1), (4, 1), (7, 1), (10, 1)}
FORECAST_API = {
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Most Likely": "MostLikely",
    "Commit": "Forecast",
    "Closed": "Closed",
    "Omitted": "Omitted",
}
FORECAST_LABEL = {api: label for label, api in FORECAST_API.items()}


# ---------------------------------------------------------------- helpers


def read_csv(path: Path) -> tuple[list[str], list[Row]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [{**row, "_file": path.name} for row in reader]
        return list(reader.fieldnames or []), rows


def files_of(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).glob("*.csv"))


def rows_of(root: Path, folder: str) -> list[Row]:
    return [row for path in files_of(root, folder) for row in read_csv(path)[1]]


def latest(rows: Iterable[Row]) -> dict[str, Row]:
    """Salesforce dedup: greatest SystemModstamp wins, then the later file."""
    best: dict[str, Row] = {}
    for row in rows:
        current = best.get(row["Id"])
        key = (row["SystemModstamp"], row["_file"])
        if current is None or key > (current["SystemModstamp"], current["_file"]):
            best[row["Id"]] = row
    return best


def live(rows: Iterable[Row]) -> dict[str, Row]:
    return {k: v for k, v in latest(rows).items() if v.get("IsDeleted") != "true"}


def is_full(row: Row) -> bool:
    return row["_file"].endswith("_full.csv")


class Landing:
    """The generated folder, read back once."""

    def __init__(self, root: Path, counts: dict[str, int]) -> None:
        self.root = root
        self.counts = counts
        self.raw = {o.folder: rows_of(root, o.folder) for o in OBJECTS}

    def sf(self, name: str) -> list[Row]:
        return self.raw[f"salesforce/{name}"]

    def live(self, name: str) -> dict[str, Row]:
        return live(self.sf(name))

    def latest_by(self, folder: str, *key: str) -> dict[tuple[str, ...], Row]:
        """Non-Salesforce dedup: the later file wins."""
        out: dict[tuple[str, ...], Row] = {}
        for row in sorted(self.raw[folder], key=lambda r: r["_file"]):
            out[tuple(row[k] for k in key)] = row
        return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    root = tmp_path_factory.mktemp("demo") / "landing"
    counts = generate(root, scale=SCALE, seed=42, as_of=AS_OF)
    return Landing(root, counts)


# ---------------------------------------------------------------- layout and formats


def test_every_object_has_files_with_the_required_columns(landing: Landing) -> None:
    for obj in OBJECTS:
        paths = files_of(landing.root, obj.folder)
        assert paths, f"no CSV in {obj.folder}"
        rows = 0
        for path in paths:
            columns, data = read_csv(path)
            missing = set(obj.columns) - set(columns)
            assert not missing, f"{path.name} lacks {missing}"
            assert len(columns) == len(set(columns))
            rows += len(data)
        assert rows == landing.counts[obj.folder] > 0


def test_file_names_sort_chronologically(landing: Landing) -> None:
    for obj in OBJECTS:
        names = [p.name for p in files_of(landing.root, obj.folder)]
        stamps = []
        for name in names:
            match = FILE_NAME.match(name)
            assert match, name
            stamps.append(match.group(1))
        assert stamps == sorted(stamps)
    opportunity = [p.name for p in files_of(landing.root, "salesforce/Opportunity")]
    assert opportunity[0].endswith("_full.csv")
    assert all(name.endswith("_delta.csv") for name in opportunity[1:])
    assert len(opportunity) >= 2


def test_salesforce_exports_carry_columns_the_contract_does_not_list(landing: Landing) -> None:
    columns, _ = read_csv(files_of(landing.root, "salesforce/Opportunity")[0])
    assert {"CurrencyIsoCode", "LastModifiedDate", "Description"} <= set(columns)
    for obj in OBJECTS:
        if obj.is_salesforce:
            columns, _ = read_csv(files_of(landing.root, obj.folder)[0])
            assert set(columns) - set(obj.columns), f"{obj.name} has only contract columns"


def test_values_are_formatted_as_the_contract_says(landing: Landing) -> None:
    for obj in OBJECTS:
        for row in landing.raw[obj.folder]:
            for column, kind in obj.columns.items():
                value = row[column]
                if value == "":
                    continue
                where = f"{obj.folder}.{column}={value!r}"
                if kind == BOOL:
                    assert value in ("true", "false"), where
                elif kind == TS:
                    pattern = SF_DATETIME if obj.is_salesforce else ISO_UTC
                    assert pattern.match(value), where
                elif kind == DATE:
                    assert ISO_DATE.match(value), where
                    date.fromisoformat(value)
                elif obj.is_salesforce and column.endswith("Id"):
                    assert SF_ID.match(value), where
                elif kind == INT:
                    assert value.isdigit(), where
                elif kind == DOUBLE:
                    assert NUMBER.match(value), where
                elif kind == MONEY:
                    assert MONEY_VALUE.match(value), where
    assert {r["score"] for r in landing.raw["survey/responses"]} <= {str(i) for i in range(11)} | {
        ""
    }


def test_salesforce_ids_have_real_key_prefixes_and_checksums(landing: Landing) -> None:
    assert checksum_suffix("001A0000006Vm9r") == "IAC"  # the documented example
    for name, prefix in KEY_PREFIX.items():
        folder = f"salesforce/{name}"
        if folder not in landing.raw:
            continue
        for row in landing.raw[folder]:
            assert row["Id"].startswith(prefix), (name, row["Id"])
            assert checksum_suffix(row["Id"][:15]) == row["Id"][15:]


def test_files_are_utf8_lf_and_minimally_quoted(landing: Landing) -> None:
    for path in sorted(landing.root.rglob("*.csv")):
        data = path.read_bytes()
        text = data.decode("utf-8")
        assert "\r" not in text, path.name
        rows = list(csv.reader(io.StringIO(text, newline="")))
        again = io.StringIO(newline="")
        csv.writer(again, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
        assert again.getvalue() == text, f"{path.name} is not RFC 4180 minimal quoting"


@pytest.mark.parametrize(
    ("folder", "column"),
    [
        ("salesforce/Opportunity", "Name"),
        ("salesforce/Account", "Name"),
        ("salesforce/Task", "Subject"),
        ("salesforce/Event", "Subject"),
        ("survey/responses", "question_text"),
    ],
)
def test_text_fields_hold_commas_quotes_and_newlines(
    landing: Landing, folder: str, column: str
) -> None:
    values = [row[column] for row in landing.raw[folder]]
    for char in (",", '"', "\n"):
        count = sum(char in v for v in values)
        assert count >= max(3, len(values) // 200), f"{folder}.{column}: {char!r} in {count} rows"


# ---------------------------------------------------------------- CRM consistency


def test_references_resolve(landing: Landing) -> None:
    users = latest(landing.sf("User"))
    accounts = latest(landing.sf("Account"))
    opps = latest(landing.sf("Opportunity"))
    leads = latest(landing.sf("Lead"))
    for opp in opps.values():
        assert opp["OwnerId"] in users
        assert opp["AccountId"] in accounts
    for name in ("OpportunityHistory", "OpportunitySplit"):
        assert all(r["OpportunityId"] in opps for r in landing.sf(name))
    assert all(r["SplitOwnerId"] in users for r in landing.sf("OpportunitySplit"))
    for user in users.values():
        assert user["ManagerId"] == "" or user["ManagerId"] in users
    for name in ("Task", "Event"):
        for row in landing.sf(name):
            assert row["OwnerId"] in users
            what, who = row["WhatId"], row["WhoId"]
            assert what == "" or what in opps or what in accounts, what
            assert not who.startswith("00Q") or who in leads, who
    for lead in leads.values():
        assert lead["OwnerId"] in users
        assert lead["ConvertedAccountId"] == "" or lead["ConvertedAccountId"] in accounts


def test_system_modstamp_never_precedes_creation(landing: Landing) -> None:
    for obj in OBJECTS:
        if obj.is_salesforce and "CreatedDate" in obj.columns:
            for row in landing.raw[obj.folder]:
                assert row["SystemModstamp"] >= row["CreatedDate"], (obj.name, row["Id"])


def test_splits_sum_to_100_and_credit_the_owner(landing: Landing) -> None:
    opps = latest(landing.sf("Opportunity"))
    shares: defaultdict[str, float] = defaultdict(float)
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for split in landing.live("OpportunitySplit").values():
        shares[split["OpportunityId"]] += float(split["SplitPercentage"])
        owners[split["OpportunityId"]].add(split["SplitOwnerId"])
    assert len(shares) >= 10
    assert {len(o) for o in owners.values()} == {2, 3}
    for opp_id, total in shares.items():
        assert total == pytest.approx(100), opp_id
        assert opps[opp_id]["OwnerId"] in owners[opp_id]
    assert len(shares) < 0.3 * len(opps)  # most opportunities have no split


LATER_ID_COUNTER = 500_000_000


def _id_counter(sf_id: str) -> int:
    value = 0
    for ch in sf_id[5:15]:
        value = value * 62 + BASE62.index(ch)
    return value


def _history_by_opportunity(landing: Landing) -> dict[str, list[Row]]:
    trails: defaultdict[str, list[Row]] = defaultdict(list)
    for row in landing.live("OpportunityHistory").values():
        trails[row["OpportunityId"]].append(row)
    return {k: sorted(v, key=lambda r: (r["CreatedDate"], r["Id"])) for k, v in trails.items()}


def test_history_is_ordered_and_ends_in_the_opportunity_state(landing: Landing) -> None:
    stages = {s["ApiName"]: s for s in latest(landing.sf("OpportunityStage")).values()}
    trails = _history_by_opportunity(landing)
    opps = landing.live("Opportunity")
    assert len(trails) >= 0.95 * len(opps)
    for opp_id, opp in opps.items():
        stage = stages[opp["StageName"]]
        assert opp["IsClosed"] == stage["IsClosed"] and opp["IsWon"] == stage["IsWon"]
        if opp["IsClosed"] == "true":  # open ones may carry an overridden forecast category
            assert opp["ForecastCategoryName"] == stage["ForecastCategoryName"]
        trail = trails.get(opp_id)
        if trail is None:
            assert opp["Demo_Case__c"] == "won_without_history"
            continue
        # Ids follow creation, except rows pipeline movements inserted (a later id range).
        ordered = [r["Id"] for r in trail if _id_counter(r["Id"]) < LATER_ID_COUNTER]
        assert ordered == sorted(ordered)
        assert trail[0]["CreatedDate"] == opp["CreatedDate"]
        last = trail[-1]
        for h_col, o_col in (
            ("StageName", "StageName"),
            ("Amount", "Amount"),
            ("Probability", "Probability"),
            ("CloseDate", "CloseDate"),
        ):
            assert last[h_col] == opp[o_col], (opp_id, h_col)
        if FORECAST_LABEL[last["ForecastCategory"]] != opp["ForecastCategoryName"]:
            # Overridden later, without a history row.
            assert opp["IsClosed"] == "false", opp_id
            assert opp["SystemModstamp"] > last["CreatedDate"], opp_id
        if opp["IsClosed"] == "true":
            assert opp["CloseDate"] == last["CreatedDate"][:10]


def test_history_covers_the_funnel_rules(landing: Landing) -> None:
    order = {
        s["ApiName"]: int(s["SortOrder"]) for s in latest(landing.sf("OpportunityStage")).values()
    }
    trails = _history_by_opportunity(landing)
    opps = landing.live("Opportunity")
    same_stage_rows = skipped = backwards = 0
    lost_from: set[str] = set()
    for trail in trails.values():
        for before, after in itertools.pairwise(trail):
            a, b = order[before["StageName"]], order[after["StageName"]]
            same_stage_rows += a == b
            skipped += b - a > 1 and b <= 5
            backwards += b < a
            if after["StageName"] == "Closed Lost":
                lost_from.add(before["StageName"])
    assert same_stage_rows > 20 and skipped > 5 and backwards > 0
    assert {"Prospecting", "Qualification", "Negotiation/Review"} <= lost_from
    states = Counter(o["StageName"] for o in opps.values())
    assert states["Closed Won"] and states["Closed Lost"]
    open_opps = [o for o in opps.values() if o["IsClosed"] == "false"]
    assert len({o["StageName"] for o in open_opps}) == 5
    assert any(o["CloseDate"] < AS_OF.isoformat() for o in open_opps)  # slipped
    assert any(o["CloseDate"] > AS_OF.isoformat() for o in open_opps)


def test_scripted_opportunity_cases_exist(landing: Landing) -> None:
    opps = {o["Demo_Case__c"]: o for o in latest(landing.sf("Opportunity")).values()}
    trails = _history_by_opportunity(landing)
    stages_of = {
        case: [r["StageName"] for r in trails.get(o["Id"], [])] for case, o in opps.items()
    }
    assert stages_of["reopened_then_won"][-3:] == [
        "Closed Lost",
        "Negotiation/Review",
        "Closed Won",
    ]
    assert stages_of["won_twice"].count("Closed Won") == 2
    for gap in (30, 45, 60, 75, 90, 91, 200):
        cases = [c for c in opps if c.startswith(f"won_then_lost_{gap}d_")]
        assert cases, gap
        for case in cases:
            trail = trails[opps[case]["Id"]]
            won = next(r for r in trail if r["StageName"] == "Closed Won")
            lost = next(r for r in trail if r["StageName"] == "Closed Lost")
            days = date.fromisoformat(lost["CreatedDate"][:10]) - date.fromisoformat(
                won["CreatedDate"][:10]
            )
            assert days.days == gap
            assert opps[case]["StageName"] == "Closed Lost"
    assert "won_without_history" in opps and not stages_of["won_without_history"]
    assert stages_of["created_closed_won"] == ["Closed Won"]


def test_forecast_categories_are_labels_on_opportunities_and_api_names_in_history(
    landing: Landing,
) -> None:
    history = {r["ForecastCategory"] for r in landing.sf("OpportunityHistory")}
    assert history == set(FORECAST_LABEL)  # BestCase, MostLikely, Forecast (= Commit), ...
    opportunity = {r["ForecastCategoryName"] for r in landing.sf("Opportunity")}
    assert opportunity == set(FORECAST_API)
    for stage in landing.sf("OpportunityStage"):
        assert stage["ForecastCategoryName"] in FORECAST_API
        assert stage["ForecastCategory"] == FORECAST_API[stage["ForecastCategoryName"]]
    stage_default = {
        s["ApiName"]: s["ForecastCategoryName"] for s in landing.sf("OpportunityStage")
    }
    # Each history row that changes the stage carries the new stage's category.
    for trail in _history_by_opportunity(landing).values():
        for before, after in itertools.pairwise([None, *trail]):
            if before is None or before["StageName"] != after["StageName"]:
                label = FORECAST_LABEL[after["ForecastCategory"]]
                assert label == stage_default[after["StageName"]], after["Id"]


def test_forecast_overrides_change_the_opportunity_without_a_history_row(
    landing: Landing,
) -> None:
    trails = _history_by_opportunity(landing)
    opps = landing.live("Opportunity")
    overridden = {
        opp_id
        for opp_id, opp in opps.items()
        if opp_id in trails
        and opp["ForecastCategoryName"] != FORECAST_LABEL[trails[opp_id][-1]["ForecastCategory"]]
        and opp["SystemModstamp"] > trails[opp_id][-1]["CreatedDate"]
    }
    assert len(overridden) >= 3
    open_opps = [o for o in opps.values() if o["IsClosed"] == "false"]
    assert any(o["ForecastCategoryName"] == "Most Likely" for o in open_opps)
    by_case = {o["Demo_Case__c"]: o for o in opps.values() if o["Demo_Case__c"]}
    current = by_case["forecast_override_without_history"]
    assert current["Id"] in overridden and current["ForecastCategoryName"] == "Most Likely"
    assert current["IsClosed"] == "false"
    # Overridden to Most Likely in the full export, reset by a change of stage in a delta.
    reset = by_case["forecast_override_then_stage_change"]
    rows = [r for r in landing.sf("Opportunity") if r["Id"] == reset["Id"]]
    full_row = next(r for r in rows if is_full(r))
    assert full_row["ForecastCategoryName"] == "Most Likely"
    changed = next(
        r
        for r in trails[reset["Id"]]
        if r["CreatedDate"] > full_row["SystemModstamp"] and r["StageName"] != full_row["StageName"]
    )
    assert changed["ForecastCategory"] != "MostLikely"
    # Overridden after the full export: the full file still has the stage's category.
    late = by_case["forecast_override_after_full_export"]
    full_row = next(r for r in landing.sf("Opportunity") if r["Id"] == late["Id"] and is_full(r))
    assert late["Id"] in overridden
    assert late["ForecastCategoryName"] != full_row["ForecastCategoryName"]
    assert not is_full(late) and late["StageName"] == full_row["StageName"]


CLOSED_STAGES = {"Closed Won", "Closed Lost"}
# Scripted cases that close, then go on (reopened, won twice, lost after a win).
REOPENING_CASES = ("reopened_then_won", "won_twice", "won_then_lost_", "won_big_then_lost_")


def _quarters_before(as_of: date, count: int) -> list[tuple[str, str]]:
    """The ``count`` full calendar quarters before as_of's, as [first day, next first day)."""
    start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    out = []
    for _ in range(count):
        month = start.month - 3
        first = date(start.year - (month < 1), (month - 1) % 12 + 1, 1)
        out.append((first.isoformat(), start.isoformat()))
        start = first
    return out[::-1]


def _open_moves(trail: list[Row]) -> Iterable[tuple[Row, Row]]:
    """Consecutive history rows while the opportunity stays open."""
    for before, after in itertools.pairwise(trail):
        if before["StageName"] not in CLOSED_STAGES and after["StageName"] not in CLOSED_STAGES:
            yield before, after


def _pushed_out(before: Row, after: Row, first: str, end: str) -> bool:
    return (
        first <= after["CreatedDate"] < end
        and first <= before["CloseDate"] < end
        and after["CloseDate"] >= end
    )


def _pulled_in(before: Row, after: Row, first: str, end: str) -> bool:
    return (
        first <= after["CreatedDate"] < end
        and before["CloseDate"] >= end
        and first <= after["CloseDate"] < end
    )


def _amount_changed(before: Row, after: Row, first: str, end: str) -> bool:
    return (
        first <= after["CreatedDate"] < end
        and before["StageName"] == after["StageName"]
        and before["Amount"] != after["Amount"]
        and first <= before["CloseDate"] < end
    )


def test_pipeline_moves_across_quarters(landing: Landing) -> None:
    trails = _history_by_opportunity(landing)
    opened = {o["Id"]: o["CreatedDate"] for o in landing.live("Opportunity").values()}
    for first, end in _quarters_before(AS_OF, 4):
        pushed, pulled, amounts = set(), set(), set()
        open_at_start = 0
        for opp_id, trail in trails.items():
            earlier = [r for r in trail if r["CreatedDate"] < first]
            open_at_start += bool(earlier) and earlier[-1]["StageName"] not in CLOSED_STAGES
            for before, after in _open_moves(trail):
                if _pushed_out(before, after, first, end):
                    pushed.add(opp_id)
                if _pulled_in(before, after, first, end):
                    pulled.add(opp_id)
                if _amount_changed(before, after, first, end):
                    amounts.add(opp_id)
        assert len(pushed) >= max(3, 0.1 * open_at_start), (first, len(pushed), open_at_start)
        assert pulled, first
        assert len(amounts) >= 3, first
        assert all(opened[o] < end for o in pushed | pulled if o in opened)


def test_history_stays_between_creation_and_close(landing: Landing) -> None:
    opps = latest(landing.sf("Opportunity"))
    for opp_id, trail in _history_by_opportunity(landing).items():
        opp = opps[opp_id]
        assert all(r["CreatedDate"] >= opp["CreatedDate"] for r in trail), opp_id
        if opp["Demo_Case__c"].startswith(REOPENING_CASES):
            continue
        closing = [i for i, r in enumerate(trail) if r["StageName"] in CLOSED_STAGES]
        assert closing in ([], [len(trail) - 1]), opp_id  # nothing after the closing row
        if closing:  # the close date is the day it closed, the amount the final one
            assert trail[-1]["CloseDate"] == trail[-1]["CreatedDate"][:10] == opp["CloseDate"]


def test_pipeline_movement_cases_exist(landing: Landing) -> None:
    trails = _history_by_opportunity(landing)
    by_case = {o["Demo_Case__c"]: o for o in landing.live("Opportunity").values()}
    previous, last_full = _quarters_before(AS_OF, 2)

    def moves(case: str) -> list[tuple[Row, Row]]:
        return list(_open_moves(trails[by_case[case]["Id"]]))

    assert any(_pushed_out(a, b, *last_full) for a, b in moves("pushed_out_of_quarter"))
    twice = moves("slipped_twice")
    assert any(_pushed_out(a, b, *previous) for a, b in twice)
    assert any(_pushed_out(a, b, *last_full) for a, b in twice)
    won = by_case["pulled_into_quarter_then_won"]
    assert any(_pulled_in(a, b, *last_full) for a, b in moves("pulled_into_quarter_then_won"))
    assert won["StageName"] == "Closed Won" and last_full[0] <= won["CloseDate"] < last_full[1]
    assert any(
        _amount_changed(a, b, *last_full) and float(b["Amount"]) < float(a["Amount"])
        for a, b in moves("amount_cut_mid_quarter")
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_salesforce_datetimes_carry_milliseconds(landing: Landing) -> None:
    values = [
        row[column]
        for obj in OBJECTS
        if obj.is_salesforce
        for row in landing.raw[obj.folder]
        for column, kind in obj.columns.items()
        if kind == TS and row[column]
    ]
    with_millis = sum(not v.endswith(".000Z") for v in values)
    assert 0.8 * len(values) < with_millis < len(values)
    # Stints whose exact length differs from the difference of their whole seconds.
    differ = 0
    for trail in _history_by_opportunity(landing).values():
        for before, after in itertools.pairwise(trail):
            start, end = _instant(before["CreatedDate"]), _instant(after["CreatedDate"])
            whole = end.replace(microsecond=0) - start.replace(microsecond=0)
            differ += (end - start) != whole
    assert differ > 100
    # Meetings last exactly their DurationInMinutes.
    for event in landing.sf("Event"):
        length = _instant(event["EndDateTime"]) - _instant(event["StartDateTime"])
        assert length == timedelta(minutes=int(event["DurationInMinutes"])), event["Id"]


def test_a_lead_is_followed_up_within_a_second(landing: Landing) -> None:
    leads = [
        r for r in landing.live("Lead").values() if r["Demo_Case__c"] == "follow_up_within_a_second"
    ]
    assert len(leads) == 1
    lead = leads[0]
    tasks = [
        t
        for t in landing.live("Task").values()
        if t["WhoId"] == lead["Id"] and t["CompletedDateTime"]
    ]
    first = min(tasks, key=lambda t: t["CompletedDateTime"])
    created, done = _instant(lead["CreatedDate"]), _instant(first["CompletedDateTime"])
    whole = done.replace(microsecond=0) - created.replace(microsecond=0)
    assert whole == timedelta(seconds=1)
    assert timedelta(0) < done - created < timedelta(seconds=1)


def test_deleted_opportunity_keeps_its_history_and_splits(landing: Landing) -> None:
    deleted = {k for k, v in latest(landing.sf("Opportunity")).items() if v["IsDeleted"] == "true"}
    history = {r["OpportunityId"] for r in landing.live("OpportunityHistory").values()}
    splits = {r["OpportunityId"] for r in landing.live("OpportunitySplit").values()}
    assert deleted & history & splits


@pytest.mark.parametrize(
    "name", ["Opportunity", "OpportunityHistory", "Task", "Lead", "Event", "Account"]
)
def test_deltas_supersede_replay_stale_versions_delete_and_add(landing: Landing, name: str) -> None:
    rows = landing.sf(name)
    full = {r["Id"]: r for r in rows if is_full(r)}
    winners = latest(rows)
    deltas = [r for r in rows if not is_full(r)]
    newer = [
        r
        for r in deltas
        if r["Id"] in full and r["SystemModstamp"] > full[r["Id"]]["SystemModstamp"]
    ]
    assert any(winners[r["Id"]] is r for r in newer), "no delta version that wins"
    if name != "OpportunityHistory":
        stale = [
            r
            for r in deltas
            if r["Id"] in full and r["SystemModstamp"] < full[r["Id"]]["SystemModstamp"]
        ]
        assert stale, "no stale version older than the full export's"
        ignored = ("SystemModstamp", "LastModifiedDate", "_file")
        assert any(any(r[c] != full[r["Id"]][c] for c in r if c not in ignored) for r in stale), (
            "stale versions carry no different values"
        )
    else:
        assert any(winners[r["Id"]] is not r for r in deltas), "no stale history version"
    assert any(r["IsDeleted"] == "true" and winners[r["Id"]] is r for r in deltas)
    assert any(r["Id"] not in full for r in deltas), "no new records in the deltas"


def test_leads_convert_into_opportunities_created_that_day(landing: Landing) -> None:
    opps = latest(landing.sf("Opportunity"))
    leads = landing.live("Lead").values()
    converted = [lead for lead in leads if lead["IsConverted"] == "true"]
    assert converted and len(converted) < len(leads) / 2
    with_opp = [lead for lead in converted if lead["ConvertedOpportunityId"]]
    assert with_opp and len(with_opp) < len(converted)
    for lead in with_opp:
        opp = opps[lead["ConvertedOpportunityId"]]
        assert opp["CreatedDate"][:10] == lead["ConvertedDate"] >= lead["CreatedDate"][:10]
        assert opp["AccountId"] == lead["ConvertedAccountId"]
    assert len({lead["Status"] for lead in leads}) >= 4


def _activity_time(row: Row) -> str:
    if "StartDateTime" in row:
        return row["StartDateTime"]
    return row["CompletedDateTime"] or row["CreatedDate"]


def test_lead_follow_ups_cover_every_case(landing: Landing) -> None:
    leads = landing.live("Lead")
    end_of_day = f"{AS_OF.isoformat()}T23:59:59.999Z"
    activities = [t for t in landing.live("Task").values() if t["IsClosed"] == "true"]
    activities += [e for e in landing.live("Event").values() if e["StartDateTime"] <= end_of_day]
    first: dict[str, Row] = {}
    before_creation = 0
    for activity in activities:
        lead = leads.get(activity["WhoId"])
        if lead is None:
            continue
        when = _activity_time(activity)
        if when < lead["CreatedDate"]:
            before_creation += 1
        elif lead["Id"] not in first or when < _activity_time(first[lead["Id"]]):
            first[lead["Id"]] = activity
    assert before_creation >= 1
    assert sum(first[k]["OwnerId"] != leads[k]["OwnerId"] for k in first) >= 1
    assert 0 < len(leads) - len(first) < 0.3 * len(leads)


def test_tasks_and_events_cover_the_activity_rules(landing: Landing) -> None:
    tasks = landing.live("Task").values()
    assert {t["TaskSubtype"] for t in tasks} == {"Call", "Email", "Task"}
    closed = [t for t in tasks if t["IsClosed"] == "true"]
    assert all(t["Status"] == "Completed" for t in closed)
    assert 0 < sum(not t["CompletedDateTime"] for t in closed) < 0.1 * len(closed)
    still_open = [t for t in tasks if t["IsClosed"] == "false"]
    assert still_open and not any(t["CompletedDateTime"] for t in still_open)
    events = list(landing.live("Event").values())
    assert all(e["CreatedDate"] < e["StartDateTime"] for e in events)
    today = AS_OF.isoformat()
    tomorrow = (AS_OF + timedelta(days=1)).isoformat()
    assert any(
        e["StartDateTime"][:10] == today and e["StartDateTime"][11:] > "02:00" for e in events
    )
    assert any(e["StartDateTime"][:10] == tomorrow for e in events)
    assert sum(e["StartDateTime"][:10] > tomorrow for e in events) >= 3
    opps = landing.live("Opportunity")
    after_close = [
        t
        for t in closed
        if t["WhatId"] in opps
        and opps[t["WhatId"]]["IsClosed"] == "true"
        and _activity_time(t)[:10] > opps[t["WhatId"]]["CloseDate"]
    ]
    assert after_close


def test_users_cover_the_rep_dimension_rules(landing: Landing) -> None:
    users = latest(landing.sf("User")).values()
    workers = {r["employee_id"] for r in landing.raw["hris/workers"]}
    assert sum(u["EmployeeNumber"] == "" for u in users) == 1
    assert sum(u["EmployeeNumber"] not in workers for u in users if u["EmployeeNumber"]) == 1
    assert any(u["IsActive"] == "false" for u in users)
    assert any(u["ManagerId"] for u in users)
    titles = " ".join(u["Title"] for u in users)
    assert "Account Executive" in titles and "Sales Development Representative" in titles


# ---------------------------------------------------------------- HRIS, survey, sales ops


def test_hris_workers(landing: Landing) -> None:
    workers = [r for r in landing.latest_by("hris/workers", "employee_id").values()]
    departments = Counter(w["department"] for w in workers)
    assert {
        "Sales - Enterprise",
        "Sales - Mid-Market",
        "Sales Development",
        "Customer Success",
        "Sales Operations",
    } <= set(departments)
    assert any(2 <= n <= 4 for n in departments.values())
    assert sum(w["manager_employee_id"] == "" for w in workers) == 1
    ids = {w["employee_id"] for w in workers}
    assert all(w["manager_employee_id"] in ids for w in workers if w["manager_employee_id"])
    leavers = [w for w in workers if w["termination_date"]]
    assert {w["termination_type"] for w in leavers} == {"Voluntary", "Involuntary"}
    quarters = {
        (int(d[:4]), (int(d[5:7]) - 1) // 3) for d in (w["termination_date"] for w in leavers)
    }
    assert len(quarters) >= 3
    assert any(
        (date.fromisoformat(d).month, date.fromisoformat(d).day) in FIRST_DAY_OF_QUARTER
        for d in (w["termination_date"] for w in leavers)
    )
    for w in workers:
        terminated = bool(w["termination_date"]) and w["termination_date"] < AS_OF.isoformat()
        assert (w["employment_status"] == "Terminated") == terminated, w
    assert {w["employment_status"] for w in workers} == {"Active", "Terminated", "Leave"}
    assert any(w["hire_date"] > AS_OF.isoformat() for w in workers)
    first, second = files_of(landing.root, "hris/workers")
    earlier = {r["employee_id"]: r for r in read_csv(first)[1]}
    updates = read_csv(second)[1]
    assert any(
        r["employee_id"] in earlier
        and r["termination_date"]
        and not earlier[r["employee_id"]]["termination_date"]
        for r in updates
    )


def test_survey_waves(landing: Landing) -> None:
    answers = landing.raw["survey/responses"]
    workers = {
        w["employee_id"]: w for w in landing.latest_by("hris/workers", "employee_id").values()
    }
    assert len({a["survey_id"] for a in answers}) >= 4
    assert {a["factor"] for a in answers} >= {"eNPS", "Satisfaction", "Engagement", "Growth"}
    for a in answers:
        if a["score"]:
            top = 10 if a["factor"] == "eNPS" else 5
            assert (0 if a["factor"] == "eNPS" else 1) <= int(a["score"]) <= top
    assert any(a["score"] == "" for a in answers)
    per_wave: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    respondents: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for a in answers:
        per_wave[a["survey_id"]].add((a["employee_id"], a["response_id"]))
        if a["score"]:
            department = workers.get(a["employee_id"], {}).get("department", "Unknown")
            respondents[(a["survey_id"], department)].add(a["employee_id"])
    for pairs in per_wave.values():
        people = [e for e, _ in pairs]
        assert len(people) == len(set(people)) == len({r for _, r in pairs})
    assert len({r for pairs in per_wave.values() for _, r in pairs}) == sum(
        len(p) for p in per_wave.values()
    )
    assert any(len(ids) < 5 for ids in respondents.values())
    assert any(dept == "Unknown" for _, dept in respondents)
    assert all(len(p) < len(workers) for p in per_wave.values())


def test_comp_plans_and_tiers(landing: Landing) -> None:
    plans = {p["plan_id"]: p for p in landing.raw["sales_ops/comp_plans"]}
    assert plans["AE-STD"]["cap_multiple"] == "2.0" and plans["AE-STD"]["clawback_days"] == "90"
    assert plans["AE-ACCEL"]["cap_multiple"] == "" and plans["AE-ACCEL"]["clawback_days"] == "60"
    # Both spellings of marginal (written, and empty), and a retroactive plan.
    assert plans["AE-STD"]["tier_method"] == "marginal" and plans["AE-ACCEL"]["tier_method"] == ""
    assert plans["AE-RETRO"]["tier_method"] == "retroactive"
    assert plans["AE-RETRO"]["cap_multiple"] == "2.5"
    tiers: defaultdict[str, list[Row]] = defaultdict(list)
    for tier in landing.raw["sales_ops/comp_plan_tiers"]:
        tiers[tier["plan_id"]].append(tier)
    assert set(tiers) == set(plans)
    for rows in tiers.values():
        rows.sort(key=lambda r: float(r["floor_attainment"]))
        assert float(rows[0]["floor_attainment"]) == 0
        for lower, upper in itertools.pairwise(rows):
            assert lower["ceiling_attainment"] == upper["floor_attainment"]
        assert rows[-1]["ceiling_attainment"] == ""
        multipliers = [float(r["rate_multiplier"]) for r in rows]
        assert multipliers[0] < 1 and 1.0 in multipliers and multipliers[-1] > 1


def test_plan_assignments_include_a_mid_quarter_change(landing: Landing) -> None:
    by_rep: defaultdict[str, list[Row]] = defaultdict(list)
    for row in landing.raw["sales_ops/plan_assignments"]:
        by_rep[row["employee_id"]].append(row)
    changes = 0
    for rows in by_rep.values():
        rows.sort(key=lambda r: r["effective_start"])
        for old, new in itertools.pairwise(rows):
            end, start = (
                date.fromisoformat(old["effective_end"]),
                date.fromisoformat(new["effective_start"]),
            )
            assert end + timedelta(days=1) == start
            if old["plan_id"] == new["plan_id"]:  # a draw starts or ends with a quarter
                assert old["draw_type"] != new["draw_type"]
                assert (start.month, start.day) in FIRST_DAY_OF_QUARTER
                continue
            assert (start.month - 1) % 3 and start.day != 1  # mid-quarter
            changes += 1
        assert rows[-1]["effective_end"] == "" or rows[-1]["effective_end"] <= AS_OF.isoformat()
    assert changes >= 1
    assert any(rows[-1]["effective_end"] == "" for rows in by_rep.values())


def test_quotas(landing: Landing) -> None:
    quotas = landing.latest_by("sales_ops/quotas", "employee_id", "month_start")
    workers = {
        w["employee_id"]: w for w in landing.latest_by("hris/workers", "employee_id").values()
    }
    quarters: defaultdict[str, set[int]] = defaultdict(set)
    amounts: defaultdict[str, list[float]] = defaultdict(list)
    for (employee, month), row in sorted(quotas.items()):
        assert month.endswith("-01")
        year, month_number = int(month[:4]), int(month[5:7])
        quarters[employee].add(year * 4 + (month_number - 1) // 3)
        amounts[employee].append(float(row["quota_amount"]))
        worker = workers.get(employee)
        if worker and worker["termination_date"]:
            assert month <= worker["termination_date"], (employee, month)
    assert any(a[0] < a[-1] for a in amounts.values())  # ramped new hires
    assert any(max(q) - min(q) + 1 > len(q) for q in quarters.values())  # a quarter without
    versions: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for row in landing.raw["sales_ops/quotas"]:
        versions[(row["employee_id"], row["month_start"])].add(row["quota_amount"])
    assert any(len(v) > 1 for v in versions.values())  # revised in a later file


# ---------------------------------------------------------------- commission mechanics

SALES_OPS_RULED = (
    "sales_ops/comp_plans",
    "sales_ops/comp_plan_tiers",
    "sales_ops/plan_assignments",
    "sales_ops/spiffs",
    "sales_ops/plan_scenarios",
    "sales_ops/plan_scenario_tiers",
)
E2E_SEED, E2E_AS_OF = 7, date(2026, 11, 26)  # tests/conftest.py generated_run


def _quarter(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter_end(quarter: date) -> date:
    following = date(quarter.year + (quarter.month == 10), (quarter.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def _money(value: str) -> Decimal:
    return Decimal(value) if value else Decimal(0)


class Commission:
    """What the commission rules read, from a landing folder: won events (first won history
    row, else close date and amount), credits per employee, the plan of a quarter, quotas."""

    def __init__(self, root: Path, as_of: date) -> None:
        def sf(name: str) -> dict[str, Row]:
            return live(rows_of(root, f"salesforce/{name}"))

        def later_file_wins(folder: str, *key: str) -> list[Row]:
            out: dict[tuple[str, ...], Row] = {}
            for row in sorted(rows_of(root, folder), key=lambda r: r["_file"]):
                out[tuple(row[k] for k in key)] = row
            return list(out.values())

        self.as_of = as_of
        self.opps = sf("Opportunity")
        employee_of = {u["Id"]: u["EmployeeNumber"] for u in sf("User").values()}
        trails: defaultdict[str, list[Row]] = defaultdict(list)
        for row in sf("OpportunityHistory").values():
            trails[row["OpportunityId"]].append(row)
        # opportunity -> (won date, won amount, date of the first lost row after it)
        self.won: dict[str, tuple[date, Decimal, date | None]] = {}
        for opp_id, opp in self.opps.items():
            trail = sorted(trails.get(opp_id, []), key=lambda r: (r["CreatedDate"], r["Id"]))
            stages = [r["StageName"] for r in trail]
            if "Closed Won" in stages:
                i = stages.index("Closed Won")
                lost = next((r for r in trail[i:] if r["StageName"] == "Closed Lost"), None)
                self.won[opp_id] = (
                    date.fromisoformat(trail[i]["CreatedDate"][:10]),
                    _money(trail[i]["Amount"]),
                    date.fromisoformat(lost["CreatedDate"][:10]) if lost else None,
                )
            elif opp["IsWon"] == "true":
                self.won[opp_id] = (
                    date.fromisoformat(opp["CloseDate"]),
                    _money(opp["Amount"]),
                    None,
                )
        shares: defaultdict[str, dict[str, Decimal]] = defaultdict(dict)
        for split in sf("OpportunitySplit").values():
            if split["OpportunityId"] in self.opps:
                shares[split["OpportunityId"]][split["SplitOwnerId"]] = Decimal(
                    split["SplitPercentage"]
                )
        # employee -> [(won date, opportunity, share in percent)]
        self.credits: defaultdict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
        for opp_id, (won, _, _) in self.won.items():
            owner = self.opps[opp_id]["OwnerId"]
            for user, share in (shares.get(opp_id) or {owner: Decimal(100)}).items():
                if employee_of.get(user):
                    self.credits[employee_of[user]].append((won, opp_id, share))
        self.plans = {p["plan_id"]: p for p in later_file_wins(SALES_OPS_RULED[0], "plan_id")}
        self.tiers: defaultdict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for t in later_file_wins(SALES_OPS_RULED[1], "plan_id", "floor_attainment"):
            ceiling = float(t["ceiling_attainment"]) if t["ceiling_attainment"] else float("inf")
            self.tiers[t["plan_id"]].append(
                (float(t["floor_attainment"]), ceiling, float(t["rate_multiplier"]))
            )
        self.assignments = later_file_wins(
            SALES_OPS_RULED[2], "employee_id", "plan_id", "effective_start"
        )
        self.quotas: defaultdict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for q in later_file_wins("sales_ops/quotas", "employee_id", "month_start"):
            month = date.fromisoformat(q["month_start"])
            self.quotas[(q["employee_id"], _quarter(month))] += _money(q["quota_amount"])
        self.spiffs = later_file_wins("sales_ops/spiffs", "spiff_id")
        self.scenarios = later_file_wins("sales_ops/plan_scenarios", "scenario_id", "plan_id")
        self.scenario_tiers = later_file_wins(
            "sales_ops/plan_scenario_tiers", "scenario_id", "plan_id", "floor_attainment"
        )

    def plan_of(self, employee: str, quarter: date) -> Row | None:
        """The assignment in effect on the quarter's last day, else the latest overlapping."""
        first, last = quarter.isoformat(), _quarter_end(quarter).isoformat()
        mine = [
            a
            for a in self.assignments
            if a["employee_id"] == employee
            and a["effective_start"] <= last
            and (a["effective_end"] == "" or a["effective_end"] >= first)
        ]
        in_effect = [a for a in mine if a["effective_end"] == "" or a["effective_end"] >= last]
        return max(in_effect or mine, key=lambda a: a["effective_start"], default=None)

    def commission(self, plan: str, booked: Decimal, quota: Decimal, target: Decimal) -> float:
        """A quarter's commission on ``booked`` under the plan's tiers, before the cap. It grows
        with the bookings, so more bookings bound it from above."""
        rate, attainment = float(target / quota), float(booked / quota)
        tiers = self.tiers[plan]
        if self.plans[plan]["tier_method"] == "retroactive":
            multiplier = next((m for lo, hi, m in tiers if lo <= attainment < hi), 0.0)
            return float(booked) * rate * multiplier
        return sum(
            max(0.0, min(attainment, hi) - lo) * float(quota) * rate * m for lo, hi, m in tiers
        )

    def cap(self, plan: str, target: Decimal) -> float:
        multiple = self.plans[plan]["cap_multiple"]
        return float(Decimal(multiple) * target) if multiple else float("inf")

    def qualifying(self, spiff: Row) -> list[tuple[str, date, str, Decimal]]:
        """(employee, won date, opportunity, share) of every credit the program pays for."""
        first, last = spiff["start_date"], spiff["end_date"]
        out = []
        for employee, credits in self.credits.items():
            for won, opp_id, share in sorted(credits):
                amount, kind = self.won[opp_id][1], self.opps[opp_id]["Type"]
                if (
                    first <= won.isoformat() <= last
                    and spiff["opportunity_type"] in ("", kind)
                    and amount >= _money(spiff["min_amount"])
                    and self.plan_of(employee, _quarter(won)) is not None
                ):
                    out.append((employee, won, opp_id, share))
        return out

    def spiff_bound(self, employee: str, quarter: date) -> Decimal:
        """Every SPIFF line the employee's credits in the quarter could pay, unbounded by max."""
        return sum(
            (
                _money(s["amount_per_deal"]) * share / 100
                for s in self.spiffs
                for e, won, _, share in self.qualifying(s)
                if e == employee and _quarter(won) == quarter
            ),
            Decimal(0),
        )


def assert_commission_cases(c: Commission) -> dict[str, object]:
    """Every commission mechanic the demo must exercise; returns who carries which."""
    found: dict[str, object] = {}
    history_start, current = c.as_of - timedelta(days=730), _quarter(c.as_of)
    # A retroactive plan with reps on it; marginal written and left empty.
    methods = {p["tier_method"]: p["plan_id"] for p in c.plans.values()}
    assert {"marginal", "", "retroactive"} <= set(methods)
    retro = {a["employee_id"] for a in c.assignments if a["plan_id"] == methods["retroactive"]}
    assert retro
    found["retroactive"] = sorted(retro)

    # SPIFF programs inside the history: filtered by Type, by a minimum, capped per employee.
    types = {o["Type"] for o in c.opps.values()}
    assert len(c.spiffs) >= 2
    for s in c.spiffs:
        assert history_start.isoformat() <= s["start_date"] <= s["end_date"] < current.isoformat()
        assert s["opportunity_type"] in types | {""}, s
    assert any(s["opportunity_type"] for s in c.spiffs)
    assert any(s["min_amount"] for s in c.spiffs)
    # A maximum that binds: an employee's qualifying lines add up to more than it.
    binding = []
    for s in c.spiffs:
        if s["max_payout_per_employee"]:
            total: defaultdict[str, Decimal] = defaultdict(Decimal)
            for employee, _, _, share in c.qualifying(s):
                total[employee] += _money(s["amount_per_deal"]) * share / 100
            binding += [
                (s["spiff_id"], e)
                for e, t in total.items()
                if t > _money(s["max_payout_per_employee"])
            ]
    assert binding
    found["spiff_max_binds"] = binding
    # Overlapping windows: one credit qualifies for two programs.
    programs: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for s in c.spiffs:
        for employee, _, opp_id, _ in c.qualifying(s):
            programs[(employee, opp_id)].add(s["spiff_id"])
    two = sorted(k for k, v in programs.items() if len(v) >= 2)
    assert two
    found["spiff_two_programs"] = two

    # Draws: one recoverable, one non-recoverable; both need an amount with a type.
    draws = [a for a in c.assignments if a["draw_type"]]
    assert all(_money(a["quarterly_draw_amount"]) > 0 for a in draws)
    assert all(a["quarterly_draw_amount"] == "" for a in c.assignments if not a["draw_type"])
    assert {a["draw_type"] for a in draws} == {"recoverable", "non_recoverable"}

    # Recoverable: a ramp hire's first assignment, the hire quarter; the draw is above anything
    # that quarter can earn, and the next quarter (no draw) earns something to recover it with.
    (recoverable,) = [a for a in draws if a["draw_type"] == "recoverable"]
    hire = recoverable["employee_id"]
    quarter = _quarter(date.fromisoformat(recoverable["effective_start"]))
    assert recoverable["effective_end"] == _quarter_end(quarter).isoformat()
    assert c.plan_of(hire, quarter) is recoverable
    quota = c.quotas.get((hire, quarter), Decimal(0))
    later = add_quarter(quarter)
    assert quota < c.quotas[(hire, later)]  # ramping
    booked = sum(
        (c.won[o][1] * share / 100 for w, o, share in c.credits[hire] if _quarter(w) == quarter),
        Decimal(0),
    )
    plan, target = recoverable["plan_id"], _money(recoverable["quarterly_target_incentive"])
    earned = min(c.commission(plan, booked, quota, target), c.cap(plan, target)) if quota else 0
    bound = Decimal(str(round(earned, 2))) + Decimal("0.01") * len(c.credits[hire])
    assert bound + c.spiff_bound(hire, quarter) < _money(recoverable["quarterly_draw_amount"])
    following = c.plan_of(hire, later)
    assert following is not None and following["draw_type"] == ""
    assert any(_quarter(w) == later for w, _, _ in c.credits[hire])
    found["recoverable"] = (hire, quarter, later)

    # Non-recoverable: the quarter that loses a deal of 3 quotas won the quarter before, within
    # the clawback window; its clawback exceeds the most that quarter can earn (no SPIFF there).
    (kept,) = [a for a in draws if a["draw_type"] == "non_recoverable"]
    rep = kept["employee_id"]
    big = [
        (w, o, share, lost)
        for w, o, share in c.credits[rep]
        if (lost := c.won[o][2]) is not None and _quarter(lost) == add_quarter(_quarter(w))
    ]
    assert big
    won, opp_id, share, lost = max(big, key=lambda b: c.won[b[1]][1])
    quarter = _quarter(lost)
    assert c.plan_of(rep, quarter) is kept
    booked_under = c.plan_of(rep, _quarter(won))
    assert booked_under is not None
    plan, target = kept["plan_id"], _money(kept["quarterly_target_incentive"])
    assert booked_under["plan_id"] == plan
    assert booked_under["quarterly_target_incentive"] == kept["quarterly_target_incentive"]
    assert (lost - won).days <= int(c.plans[plan]["clawback_days"])
    credited = c.won[opp_id][1] * share / 100
    quota = c.quotas[(rep, _quarter(won))]
    assert credited >= 3 * quota > 0
    clawback = c.commission(plan, credited, quota, target)  # the least it earned when booked
    assert clawback > c.cap(plan, target)
    assert not any(
        s["start_date"] <= _quarter_end(quarter).isoformat()
        and s["end_date"] >= quarter.isoformat()
        for s in c.spiffs
    )
    found["non_recoverable"] = (rep, quarter, opp_id)

    # Scenarios: of existing plans; one lists its own (contiguous) tiers, one lists none.
    assert len({s["scenario_id"] for s in c.scenarios}) >= 2
    assert {s["plan_id"] for s in c.scenarios} <= set(c.plans)
    listed: defaultdict[tuple[str, str], list[Row]] = defaultdict(list)
    for t in c.scenario_tiers:
        listed[(t["scenario_id"], t["plan_id"])].append(t)
    keys = {(s["scenario_id"], s["plan_id"]) for s in c.scenarios}
    assert listed and set(listed) < keys  # tiers for a named plan; a scenario without any
    for tiers in listed.values():
        tiers.sort(key=lambda t: float(t["floor_attainment"]))
        assert float(tiers[0]["floor_attainment"]) == 0 and tiers[-1]["ceiling_attainment"] == ""
        for lower, upper in itertools.pairwise(tiers):
            assert lower["ceiling_attainment"] == upper["floor_attainment"]
    for s in c.scenarios:
        assert s["tier_method"] in ("marginal", "retroactive")
        plan = c.plans[s["plan_id"]]
        terms = ("cap_multiple", "clawback_days", "tier_method")
        assert (s["scenario_id"], s["plan_id"]) in listed or any(s[t] != plan[t] for t in terms)
    found["scenarios"] = sorted(keys)
    return found


def add_quarter(quarter: date) -> date:
    return _quarter_end(quarter) + timedelta(days=1)


def test_commission_mechanics_are_all_in_the_demo(landing: Landing) -> None:
    assert_commission_cases(Commission(landing.root, AS_OF))


@pytest.mark.parametrize(
    ("scale", "seed", "as_of"), [(0.1, E2E_SEED, E2E_AS_OF), (0.1, 42, AS_OF), (1, 42, AS_OF)]
)
def test_commission_mechanics_at_every_scale(
    tmp_path: Path, scale: float, seed: int, as_of: date
) -> None:
    generate(tmp_path, scale=scale, seed=seed, as_of=as_of)
    assert_commission_cases(Commission(tmp_path, as_of))


def test_scripted_commission_deals(landing: Landing) -> None:
    opps = {o["Demo_Case__c"]: o for o in landing.live("Opportunity").values()}
    for case in (
        "won_big_then_lost_net_clawback",
        "ramp_hire_big_quarter",
        "spiff_two_programs",
        "spiff_over_maximum_1",
        "spiff_over_maximum_2",
        "spiff_over_maximum_3",
    ):
        assert case in opps, case
    assert opps["won_big_then_lost_net_clawback"]["StageName"] == "Closed Lost"
    assert opps["spiff_two_programs"]["Type"] == "New Business"
    assert {opps[f"spiff_over_maximum_{n}"]["OwnerId"] for n in (1, 2, 3)} == {
        opps["spiff_two_programs"]["OwnerId"]
    }
    split = {s["OpportunityId"] for s in landing.live("OpportunitySplit").values()}
    assert not split & {o["Id"] for c, o in opps.items() if c.startswith("spiff_")}


def test_sales_ops_rows_pass_the_row_rules(landing: Landing) -> None:
    """The loader's row rules (draw amount and type together, SPIFF windows and amounts, tier
    sets) reject nothing the generator writes."""
    assert {f for f in ROW_RULES if f.startswith("sales_ops/")} <= set(SALES_OPS_RULED)
    with duckdb.connect(":memory:") as con:
        con.execute("create schema raw")
        for folder in SALES_OPS_RULED:
            result = load_object(con, landing.root, OBJECTS_BY_FOLDER[folder])
            assert not result.files_rejected, folder
            assert result.rows_rejected == 0, folder
            assert result.rows_loaded == landing.counts[folder] > 0, folder
        assert con.execute("select count(*) from audit.rejected_rows").fetchone() == (0,)


# ---------------------------------------------------------------- period close

COMP_PERIODS = "sales_ops/comp_periods"


def test_comp_periods_close_every_past_quarter(landing: Landing) -> None:
    """One row per quarter from the window's first to the last one ended before as_of, closed
    15 days after its last day: at as_of every past quarter is closable."""
    rows = landing.latest_by(COMP_PERIODS, "quarter_start")
    assert len(landing.raw[COMP_PERIODS]) == len(rows)  # one file, one row per quarter
    quarters = sorted(date.fromisoformat(q) for (q,) in rows)
    assert quarters[0] == _quarter(AS_OF - timedelta(days=730))
    assert add_quarter(quarters[-1]) == _quarter(AS_OF)
    assert all(add_quarter(a) == b for a, b in itertools.pairwise(quarters))  # no gap
    for quarter in quarters:
        close = date.fromisoformat(rows[(quarter.isoformat(),)]["close_date"])
        assert close == _quarter_end(quarter) + timedelta(days=15)
        assert close <= AS_OF


@pytest.mark.parametrize(
    ("as_of", "last_close"),
    [
        (date(2026, 10, 5), date(2026, 10, 15)),  # the last quarter closes after as_of
        (date(2026, 10, 15), date(2026, 10, 15)),  # ... on as_of
        (date(2026, 12, 31), date(2026, 10, 15)),  # as_of's own quarter is not listed
        (date(2027, 1, 1), date(2027, 1, 15)),
    ],
)
def test_comp_periods_write_the_close_date_as_it_is(as_of: date, last_close: date) -> None:
    periods = comp_periods(make_timeline(as_of))
    assert periods[-1][1] == last_close
    assert all(close <= as_of for _, close in periods[:-1])
    assert add_quarter(periods[-1][0]) == _quarter(as_of)


@dataclass(frozen=True)
class Night:
    """A generated folder (``before``), a copy with the next night's drop (``after``)."""

    before: Path
    after: Path
    drop: NextNight

    @property
    def eve(self) -> date:
        return self.drop.night - timedelta(days=1)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("night")
    before, after = root / "before", root / "after"
    generate(before, scale=0.1, seed=E2E_SEED, as_of=E2E_AS_OF)
    shutil.copytree(before, after)
    drop = write_next_night(after, next_night(after), seed=E2E_SEED)
    return Night(before, after, drop)


def test_the_next_night_adds_files_only(night: Night, tmp_path: Path) -> None:
    before, after = _snapshot(night.before), _snapshot(night.after)
    assert night.drop.night == E2E_AS_OF + timedelta(days=1)
    assert {k: after[k] for k in before} == before  # every existing file, byte for byte
    added = sorted(set(after) - set(before))
    assert added == sorted(str(p.relative_to(night.after)) for p in night.drop.files)
    assert not list(night.after.rglob("*.part"))
    stamp = f"{night.drop.night:%Y%m%d}"
    for name in added:
        folder = Path(name).parent
        assert FILE_NAME.match(Path(name).name).group(1).startswith(stamp), name
        assert max(p.name for p in (night.after / folder).glob("*.csv")) == Path(name).name
    assert {str(Path(n).parent) for n in added} == {
        *(o.folder for o in OBJECTS if o.is_salesforce),
        "sales_ops/quotas",
    }
    # Deterministic: the same folder and seed give the same drop.
    again = tmp_path / "again"
    shutil.copytree(night.before, again)
    write_next_night(again, night.drop.night, seed=E2E_SEED)
    assert _snapshot(again) == after
    # Never over an existing drop.
    with pytest.raises(ValueError, match="not after"):
        write_next_night(again, night.drop.night, seed=E2E_SEED)
    assert _snapshot(again) == after


def _quarter_commission(c: Commission, employee: str, quarter: date) -> float:
    """Capped commission of the quarter's bookings (the hit quarters have no clawback)."""
    plan = c.plan_of(employee, quarter)
    assert plan is not None, (employee, quarter)
    quota = c.quotas[(employee, quarter)]
    booked = sum(
        (
            c.won[o][1] * share / 100
            for w, o, share in c.credits[employee]
            if _quarter(w) == quarter
        ),
        Decimal(0),
    )
    target = _money(plan["quarterly_target_incentive"])
    return min(c.commission(plan["plan_id"], booked, quota, target), c.cap(plan["plan_id"], target))


def test_the_next_night_changes_closed_quarters(night: Night) -> None:
    """A late won deal, a changed split and a corrected quota, each in a quarter the eve's run
    locks, each moving its employees' quarter commission the way the drop says."""
    old, new = Commission(night.before, E2E_AS_OF), Commission(night.after, night.drop.night)
    periods = Landing(night.after, {}).latest_by(COMP_PERIODS, "quarter_start")
    closed = {
        date.fromisoformat(q)
        for (q,), row in periods.items()
        if row["close_date"] <= night.eve.isoformat()
        and add_quarter(date.fromisoformat(q)) <= night.eve
    }
    employee_of = {
        u["Id"]: u["EmployeeNumber"] for u in live(rows_of(night.after, "salesforce/User")).values()
    }
    hits = {(h.change, h.employee_id): h for h in night.drop.hits}
    assert len({(h.employee_id, h.quarter) for h in night.drop.hits}) == len(night.drop.hits) == 4
    assert all(h.quarter in closed for h in night.drop.hits)
    tagged = {o["Demo_Case__c"]: o for o in new.opps.values() if o["Demo_Case__c"]}
    eve_stamp = f"{night.eve.isoformat()}T"

    # A late won deal: new, won in a closed quarter, owned by a rep with a plan then, unsplit.
    late = tagged["late_won_deal"]
    assert late["Id"] not in old.opps and late["SystemModstamp"].startswith(eve_stamp)
    won, amount, lost = new.won[late["Id"]]
    owner = employee_of[late["OwnerId"]]
    assert _quarter(won) in closed and lost is None and amount > 0
    assert late["CreatedDate"][:10] < won.isoformat() <= late["CloseDate"]
    assert new.plan_of(owner, _quarter(won)) is not None
    assert hits[("late_won_deal", owner)].quarter == _quarter(won)
    trail = [
        r
        for r in live(rows_of(night.after, "salesforce/OpportunityHistory")).values()
        if r["OpportunityId"] == late["Id"]
    ]
    assert [r["StageName"] for r in sorted(trail, key=lambda r: r["CreatedDate"])][
        -1
    ] == "Closed Won"

    # A changed split: an existing won deal of a closed quarter, 100 % owner before, 50/50 after.
    changed = tagged["split_changed"]
    assert old.opps[changed["Id"]]["Demo_Case__c"] == ""
    splits = [
        s
        for s in live(rows_of(night.after, "salesforce/OpportunitySplit")).values()
        if s["OpportunityId"] == changed["Id"]
    ]
    assert not [
        s
        for s in live(rows_of(night.before, "salesforce/OpportunitySplit")).values()
        if s["OpportunityId"] == changed["Id"]
    ]
    assert sorted(Decimal(s["SplitPercentage"]) for s in splits) == [50, 50]
    assert changed["OwnerId"] in {s["SplitOwnerId"] for s in splits}
    won, _, lost = new.won[changed["Id"]]
    assert old.won[changed["Id"]][0] == won and _quarter(won) in closed and lost is None
    owner, partner = (
        employee_of[s["SplitOwnerId"]]
        for s in sorted(splits, key=lambda s: s["SplitOwnerId"] != changed["OwnerId"])
    )
    assert hits[("split_changed", owner)].sign < 0 < hits[("split_changed", partner)].sign

    # A corrected quota: one employee's month of a closed quarter, in a file of the night.
    (correction,) = rows_of(night.after, "sales_ops/quotas")[-1:]
    assert correction["_file"].startswith(f"quotas_{night.drop.night:%Y%m%d}")
    month = date.fromisoformat(correction["month_start"])
    employee = correction["employee_id"]
    assert _quarter(month) in closed
    assert new.quotas[(employee, _quarter(month))] > old.quotas[(employee, _quarter(month))]
    assert hits[("quota_corrected", employee)].quarter == _quarter(month)

    # Each hit quarter's commission moves the expected way (SPIFFs only add to it).
    for hit in night.drop.hits:
        credits = [o for w, o, _ in new.credits[hit.employee_id] if _quarter(w) == hit.quarter]
        assert all(new.won[o][2] is None for o in credits), hit  # no clawback from it
        difference = _quarter_commission(new, hit.employee_id, hit.quarter) - _quarter_commission(
            old, hit.employee_id, hit.quarter
        )
        assert difference * hit.sign > 1, (hit, difference)


def test_the_next_night_loads_without_rejects(night: Night) -> None:
    with duckdb.connect(":memory:") as con:
        con.execute("create schema raw")
        for obj in OBJECTS:
            result = load_object(con, night.after, obj)
            assert not result.files_rejected, obj.folder
            assert result.rows_rejected == 0, obj.folder
        assert con.execute("select count(*) from audit.rejected_rows").fetchone() == (0,)


def test_a_second_night_changes_other_records(night: Night, tmp_path: Path) -> None:
    """Nights can follow each other: another late deal, another split, another correction, and
    the delta's new records take ids no earlier night used."""
    root = tmp_path / "landing"
    shutil.copytree(night.after, root)
    second = write_next_night(root, next_night(root), seed=E2E_SEED)
    assert second.night == night.drop.night + timedelta(days=1)
    assert len(second.hits) == 4
    opps = live(rows_of(root, "salesforce/Opportunity"))
    tags = Counter(o["Demo_Case__c"] for o in opps.values())
    assert tags["late_won_deal"] == tags["split_changed"] == 2
    quotas = [r for r in rows_of(root, "sales_ops/quotas") if "_correction" in r["_file"]]
    assert len({r["_file"] for r in quotas}) == 2
    earlier = {r["Id"] for r in rows_of(night.after, "salesforce/Task")}
    sent = [
        r["Id"]
        for r in rows_of(root, "salesforce/Task")
        if r["_file"].startswith(f"Task_{second.night:%Y%m%d}")
    ]
    assert len(set(sent) - earlier) >= len(sent) // 2 > 0


def test_cli_next_night(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "landing"
    assert main(["--next-night", "--out", str(out)]) == 2
    assert "no Salesforce export" in capsys.readouterr().err
    assert main(["--scale", "0.1", "--seed", "3", "--out", str(out), "--as-of", "2026-10-05"]) == 0
    capsys.readouterr()
    assert main(["--next-night", "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "next-night drop for 2026-10-06" in printed
    for change in ("late_won_deal", "split_changed", "quota_corrected"):
        assert change in printed
    # 2026Q3 closes on 2026-10-15: the changes go to earlier quarters.
    assert "2026-07-01" not in printed.split("closed quarters")[1]
    with pytest.raises(SystemExit):
        main(["--next-night", "--out", str(out), "--as-of", "2026-10-06"])


# ---------------------------------------------------------------- enablement

TRAINING = "enablement/training_assignments"
COACHING = "enablement/coaching_sessions"


def test_training_assignments(landing: Landing) -> None:
    names = [p.name for p in files_of(landing.root, TRAINING)]
    assert len(names) == 2
    assert names[0].endswith("_full.csv") and names[1].endswith("_changes.csv")
    workers = {
        w["employee_id"]: w for w in landing.latest_by("hris/workers", "employee_id").values()
    }
    as_of = AS_OF.isoformat()
    for row in landing.raw[TRAINING]:
        assert row["status"] in ("Assigned", "In Progress", "Completed", "Waived"), row
        assert (row["completed_at"] != "") == (row["status"] == "Completed"), row
        if row["score"]:
            assert 0 <= float(row["score"]) <= 100, row
            assert row["status"] == "Completed", row
        assert float(row["duration_minutes"]) > 0
        assert row["employee_id"] in workers, row
        assert row["assigned_date"] <= as_of
        assert not row["due_date"] or row["due_date"] >= row["assigned_date"]
    rows = landing.latest_by(TRAINING, "assignment_id").values()
    categories = {r["course_category"] for r in rows}
    assert {"Onboarding", "Product", "Methodology", "Compliance"} < categories  # + another
    onboarding = [r for r in rows if r["course_category"] == "Onboarding"]
    for r in onboarding:
        assert r["assigned_date"] == workers[r["employee_id"]]["hire_date"]
        gap = date.fromisoformat(r["due_date"]) - date.fromisoformat(r["assigned_date"])
        assert 30 <= gap.days <= 60
    overdue = [
        r
        for r in rows
        if r["status"] in ("Assigned", "In Progress") and r["due_date"] and r["due_date"] < as_of
    ]
    late = [
        r
        for r in rows
        if r["status"] == "Completed" and r["due_date"] and r["completed_at"][:10] > r["due_date"]
    ]
    assert overdue and late
    assert any(r["status"] == "Waived" for r in rows)
    assert any(r["status"] == "Completed" and not r["score"] for r in rows)  # no assessment
    assert {r["status"] for r in rows} == {"Assigned", "In Progress", "Completed", "Waived"}
    # Some assignments progress between the files: the later file has them Completed.
    first = {r["assignment_id"]: r for r in landing.raw[TRAINING] if is_full(r)}
    progressed = [
        r
        for r in landing.raw[TRAINING]
        if r["_file"].endswith("_changes.csv")
        and r["status"] == "Completed"
        and first.get(r["assignment_id"], {}).get("status") in ("Assigned", "In Progress")
    ]
    assert progressed


def test_coaching_sessions_are_held_by_the_reps_hris_manager(landing: Landing) -> None:
    workers = {
        w["employee_id"]: w for w in landing.latest_by("hris/workers", "employee_id").values()
    }
    sessions = landing.latest_by(COACHING, "session_id").values()
    assert len(sessions) == len(landing.raw[COACHING])  # one row per session
    quota_holders = {r["employee_id"] for r in landing.raw["sales_ops/quotas"]}
    first = (AS_OF - timedelta(days=550)).isoformat()
    for s in sessions:
        rep, coach = workers[s["rep_employee_id"]], workers[s["coach_employee_id"]]
        assert rep["manager_employee_id"] == coach["employee_id"], s
        assert coach["employee_id"] not in quota_holders
        assert rep["department"] in (
            "Sales - Enterprise",
            "Sales - Mid-Market",
            "Sales Development",
        )
        assert s["status"] in ("Completed", "Cancelled", "No-show"), s
        assert first <= s["started_at"] < AS_OF.isoformat(), s
        assert rep["hire_date"] <= s["started_at"][:10]
        assert not rep["termination_date"] or s["started_at"][:10] <= rep["termination_date"]
        assert float(s["duration_minutes"]) > 0
    statuses = Counter(s["status"] for s in sessions)
    assert statuses["Cancelled"] and statuses["No-show"]
    assert statuses["Completed"] > len(sessions) * 0.7
    types = {s["session_type"] for s in sessions}
    assert {"One-on-one", "Pipeline review", "Call review", "Skills"} < types
    assert len({s["rep_employee_id"] for s in sessions}) > 5


# ---------------------------------------------------------------- determinism and scaling


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    landing: Landing, tmp_path: Path
) -> None:
    again = generate(tmp_path / "again", scale=SCALE, seed=42, as_of=AS_OF)
    assert again == landing.counts
    assert _snapshot(tmp_path / "again") == _snapshot(landing.root)
    generate(tmp_path / "other", scale=SCALE, seed=7, as_of=AS_OF)
    other = _snapshot(tmp_path / "other")
    assert other.keys() == _snapshot(landing.root).keys()
    assert other != _snapshot(landing.root)


def test_volumes_grow_linearly_with_scale(landing: Landing, tmp_path: Path) -> None:
    double = generate(tmp_path / "double", scale=2 * SCALE, seed=42, as_of=AS_OF)
    for folder in (
        "salesforce/Opportunity",
        "salesforce/OpportunityHistory",
        "salesforce/Lead",
        "salesforce/Task",
        "salesforce/Event",
    ):
        ratio = double[folder] / landing.counts[folder]
        assert 1.6 <= ratio <= 2.4, (folder, ratio)


# ---------------------------------------------------------------- folder handling and CLI


def test_refuses_a_folder_with_csvs_and_overwrites_only_its_own_files(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    foreign = root / "salesforce" / "Opportunity" / "manual_upload.csv"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("Id\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(root, scale=0.1, seed=1, as_of=AS_OF)
    assert not list(root.rglob("*.part"))
    generate(root, scale=0.1, seed=1, as_of=AS_OF, overwrite=True)
    generate(root, scale=0.1, seed=1, as_of=AS_OF - timedelta(days=1), overwrite=True)
    fresh = tmp_path / "fresh"
    generate(fresh, scale=0.1, seed=1, as_of=AS_OF - timedelta(days=1))
    assert foreign.exists()
    expected = _snapshot(fresh) | {str(foreign.relative_to(root)): b"Id\n"}
    assert _snapshot(root) == expected


def test_cli_if_empty_and_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "landing"
    args = ["--scale", "0.1", "--seed", "3", "--out", str(out), "--as-of", "2026-11-25"]
    assert main([*args, "--if-empty"]) == 0
    assert "salesforce/Opportunity" in capsys.readouterr().out
    before = _snapshot(out)
    assert main([*args, "--if-empty"]) == 0
    assert "leaving it as it is" in capsys.readouterr().out
    assert _snapshot(out) == before
    assert main(args) == 2
    assert "already holds" in capsys.readouterr().err
