"""Period close end to end (issue 23): nights of the real CLI, the payout ledger and the BI file.

One workspace of small demo data goes through four nights (each run shared by the tests):

1. as-of 2026-11-26: ``sales_ops/comp_periods`` closes 2024Q4..2026Q3 (15 days after each
   quarter's end) - the run locks those eight quarters.
2. as-of 2026-11-27: closed quarters change - a late won deal (a new Opportunity with its won
   OpportunityHistory row in a closed quarter), a split added to a won deal, a quota corrected,
   a won deal deleted - and the run pays adjustments in the open quarter 2026Q4.
3. as-of 2027-01-16: a comp_periods row closes 2026Q4 on 2027-01-15 - the run locks it with
   the adjustments it pays.
4. as-of 2027-01-17: a closed quarter changes again (the same quota corrected once more, night
   2's late deal deleted) - the adjustments in 2027Q1 are only the rest: previously adjusted
   counts night 3's locked adjustments.

After every night the published commission tables are checked against the ledger and against
expectations computed here from the published numbers: locked quarters' statements, lines, tiers
and adjustments equal the ledger's rows; the lock columns are set exactly on locked quarters;
every (employee, locked quarter) whose lines changed gets recomputed - locked - previously
adjusted (the recomputed amount rebuilt from the locked statement and the line changes, with the
plan's cap), paid in the next quarter open at run start; the draws carry from the locked balance;
and the changed employees are exactly the ones this module changed, each moving the way its
change goes. Then the warehouse is deleted and night 4 rerun (the same BI contents), one number
of the ledger is edited (the run fails at ``payout_ledger`` naming the statement, the BI file
stays byte-identical), and night 3 is run in copies of the workspace as night 2 left it, killed
with SIGKILL before, during and after the ledger write and during publish
(``tests/helpers/kill_points.py``): each leaves a committed ledger and an untouched BI file, and
the next run publishes what the uninterrupted night 3 published.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.demo import generate
from ingestion.demo.ids import KEY_PREFIX, sf_id
from orchestration.lib.dagster.event_storage import instance_at
from orchestration.lib.dagster.pipeline import clean_environment, pipeline_environment
from orchestration.lib.ledger.store import (
    ADJUSTMENT_TYPES,
    LINE_TIER_TYPES,
    LINE_TYPES,
    STATEMENT_DISPLAY_TYPES,
    STATEMENT_TIER_TYPES,
    STATEMENT_TYPES,
    TABLES,
    verify,
)
from orchestration.lib.publish.bi_file import STAGING_SUFFIX
from tests.helpers.kill_points import POINTS, killing_environment
from tests.helpers.landing_frames import latest_file_rows, salesforce_current
from tests.helpers.pipeline import (
    GENERATED_AS_OF,
    REPO_ROOT,
    assert_succeeded,
    latest_run,
    materialize,
)

SCALE, SEED = 0.1, 7  # the session's generated run's
NIGHTS = {
    1: GENERATED_AS_OF,
    2: GENERATED_AS_OF + timedelta(days=1),
    3: date(2027, 1, 16),
    4: date(2027, 1, 17),
}
Q4_2026 = date(2026, 10, 1)
Q4_2026_CLOSE = date(2027, 1, 15)
CLOSE_LAG = timedelta(days=15)  # the demo's: a quarter closes 15 days after its last day
# Ids of the records this module adds: far above the generator's and its nightly drops'.
ID_COUNTER = 600_000_000
LATE_DEAL_SHARE = Decimal("0.2")  # of the owner's quarterly quota
QUOTA_CORRECTION = Decimal("1.2")
# What differs between two runs that lock the same quarter: when and by which run.
LOCK_IDENTITY = ("locked_at", "run_id", "locked_by_run_id", "ledger_hash", "previous_hash")
CENT = Decimal("0.01")
ZERO = Decimal("0")

# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple]  # ordered by all columns

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def read_tables(database: Path, schema: str) -> dict[str, Table]:
    """Every table of ``schema`` in ``database``, rows ordered by all columns."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? order by 1",
            [schema],
        ).fetchall()
        tables = {}
        for (name,) in names:
            cursor = con.execute(f'select * from {schema}."{name}" order by all')
            columns = tuple(d[0] for d in cursor.description)
            tables[name] = Table(columns, [tuple(row) for row in cursor.fetchall()])
        return tables


def comparable(value: object) -> object:
    """NaN equals NaN when rows are compared."""
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def masked(
    tables: Mapping[str, Table], quarters: Iterable[date] = (), identity: Iterable[str] = ()
) -> dict[str, list[tuple]]:
    """Rows per table, the ``identity`` columns blanked on rows of ``quarters`` (a lock that
    another run made of the same rows has its own time, run id and hash)."""
    quarters, identity = set(quarters), set(identity)
    out = {}
    for name, table in tables.items():
        blank = [i for i, c in enumerate(table.columns) if c in identity]
        at = table.columns.index("quarter_start") if "quarter_start" in table.columns else None
        rows = []
        for row in table.rows:
            values = [comparable(v) for v in row]
            if blank and at is not None and row[at] in quarters:
                for i in blank:
                    values[i] = "<lock>" if values[i] is not None else None
            rows.append(tuple(values))
        out[name] = sorted(rows, key=repr)
    return out


def table_differences(left: Mapping[str, list], right: Mapping[str, list]) -> dict[str, str]:
    """Per table, the first difference between two row lists (empty when identical)."""
    found = {}
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name), right.get(name)
        if a is None or b is None:
            found[name] = "missing on one side"
        elif a != b:
            only_a = [r for r in a if r not in b][:2]
            only_b = [r for r in b if r not in a][:2]
            found[name] = f"{len(a)} vs {len(b)} rows; only left {only_a}; only right {only_b}"
    return found


def money(value: object) -> Decimal:
    return ZERO if value is None else Decimal(value)


# ----------------------------------------------------------------------------- workspace


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def env(self, as_of: date) -> dict[str, str]:
        # PYTHONPATH: `dagster asset materialize` does not put its working directory on
        # sys.path, so without it the pipeline imports the editable install's checkout, which
        # need not be this one (a git worktree).
        return {**pipeline_environment(self.root, as_of), "PYTHONPATH": str(REPO_ROOT)}

    @property
    def warehouse(self) -> Path:
        return Path(self.env(NIGHTS[1])["SPM_WAREHOUSE"])

    @property
    def bi(self) -> Path:
        return Path(self.env(NIGHTS[1])["SPM_BI_DATABASE"])

    @property
    def ledger(self) -> Path:
        return Path(self.env(NIGHTS[1])["SPM_LEDGER_DATABASE"])

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def copy(self, root: Path) -> Workspace:
        shutil.copytree(self.root, root, dirs_exist_ok=True)
        return Workspace(root)


def run_pipeline(ws: Workspace, as_of: date) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = materialize(ws.env(as_of))
    return result, time.monotonic() - started


def tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-4000:] + result.stderr[-4000:]


def staging_files(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.bi.parent.iterdir() if STAGING_SUFFIX in p.name)


# ----------------------------------------------------------------------------- landing files


def stamp(night: date) -> str:
    """The evening before ``night``: after every record of the previous nights."""
    return f"{night - timedelta(days=1)}T22:00:00.000Z"


def header_of(landing: Path, folder: str) -> list[str]:
    latest = sorted((landing / folder).glob("*.csv"))[-1]
    with latest.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def write_rows(landing: Path, folder: str, name: str, rows: list[dict]) -> Path:
    """``rows`` as a new file of ``folder``, named after every existing one, in its header."""
    columns = header_of(landing, folder)
    path = landing / folder / name
    assert not path.exists(), path
    assert path.name > sorted((landing / folder).glob("*.csv"))[-1].name, path
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def write_salesforce(landing: Path, sobject: str, night: date, rows: list[dict]) -> Path:
    return write_rows(
        landing, f"salesforce/{sobject}", f"{sobject}_{night:%Y%m%d}T020000Z_delta.csv", rows
    )


def write_sales_ops(landing: Path, name: str, night: date, kind: str, rows: list[dict]) -> Path:
    return write_rows(
        landing, f"sales_ops/{name}", f"{name}_{night:%Y%m%d}T060000Z_{kind}.csv", rows
    )


def comp_periods(landing: Path) -> dict[date, date]:
    """quarter_start -> close_date, the later file per quarter."""
    folder = landing / "sales_ops" / "comp_periods"
    if not folder.is_dir() or not any(folder.glob("*.csv")):
        return {}
    rows = latest_file_rows(landing, "sales_ops/comp_periods", ["quarter_start"])
    return {
        date.fromisoformat(r["quarter_start"]): date.fromisoformat(r["close_date"])
        for r in rows.to_dict("records")
        if r["close_date"]
    }


def next_quarter(quarter: date) -> date:
    return date(quarter.year + quarter.month // 10, (quarter.month + 2) % 12 + 1, 1)


def quarter_of(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def closable(periods: Mapping[date, date], as_of: date) -> set[date]:
    """The contract: close_date on or before as_of and the quarter over before as_of."""
    return {
        q
        for q, close in periods.items()
        if close <= as_of and next_quarter(q) - timedelta(days=1) < as_of
    }


def write_night_1_comp_periods(landing: Path) -> None:
    """The quarters 2024Q4..2026Q3, each closed 15 days after its end (when the demo writes
    no comp_periods file)."""
    rows, quarter = [], date(2024, 10, 1)
    while quarter < quarter_of(NIGHTS[1]):
        close = next_quarter(quarter) - timedelta(days=1) + CLOSE_LAG
        rows.append({"quarter_start": quarter.isoformat(), "close_date": close.isoformat()})
        quarter = next_quarter(quarter)
    folder = landing / "sales_ops" / "comp_periods"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"comp_periods_{NIGHTS[1]:%Y%m%d}T060000Z_export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["quarter_start", "close_date"])
        writer.writeheader()
        writer.writerows(rows)


def write_night_3_changes(landing: Path) -> None:
    """Sales ops close 2026Q4: the comp_periods file again, with its row added."""
    periods = {**comp_periods(landing), Q4_2026: Q4_2026_CLOSE}
    rows = [
        {"quarter_start": q.isoformat(), "close_date": c.isoformat()}
        for q, c in sorted(periods.items())
    ]
    write_sales_ops(landing, "comp_periods", NIGHTS[3], "export", rows)


# ----------------------------------------------------------------------------- the changes


@dataclass(frozen=True)
class Change:
    """One change of a closed quarter: whose commission it moves, and which way."""

    kind: str
    employee_id: str
    quarter: date
    sign: int
    opportunity_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class NightTwoChanges:
    late_deal: Change
    split_owner: Change
    split_partner: Change
    quota: Change
    deleted: Change
    quota_month: date
    quota_after: Decimal

    @property
    def all(self) -> list[Change]:
        return [self.late_deal, self.split_owner, self.split_partner, self.quota, self.deleted]


class Books:
    """What the changes are chosen from: night 1's ledger (the locked statements and lines),
    the published lines of every quarter, and the landing folder."""

    def __init__(self, landing: Path, ledger: Mapping[str, Table], bi: Mapping[str, Table]):
        self.landing = landing
        self.statements = {
            (s["employee_id"], s["quarter_start"]): s for s in ledger["statements"].dicts()
        }
        self.lines: defaultdict[tuple, list[dict]] = defaultdict(list)
        for line in ledger["lines"].dicts():
            self.lines[(line["employee_id"], line["quarter_start"])].append(line)
        self.max_multiplier: defaultdict[tuple, float] = defaultdict(float)
        for tier in ledger["statement_tiers"].dicts():
            key = (tier["employee_id"], tier["quarter_start"])
            self.max_multiplier[key] = max(self.max_multiplier[key], tier["rate_multiplier"] or 0)
        published = bi["fct_commission_lines"].dicts()
        self.clawed_back = {
            ln["opportunity_id"] for ln in published if ln["line_type"] == "clawback"
        }
        spiffs = latest_file_rows(landing, "sales_ops/spiffs", ["spiff_id"]).to_dict("records")
        self.spiff_windows = [
            (date.fromisoformat(s["start_date"]), date.fromisoformat(s["end_date"])) for s in spiffs
        ]
        self.opportunities = {
            r["Id"]: r for r in salesforce_current(landing, "Opportunity").to_dict("records")
        }
        self.split_opportunities = set(
            salesforce_current(landing, "OpportunitySplit")["OpportunityId"]
        )
        self.users = {r["Id"]: r for r in salesforce_current(landing, "User").to_dict("records")}
        self.month_quotas = {
            (r["employee_id"], date.fromisoformat(r["month_start"])): Decimal(r["quota_amount"])
            for r in latest_file_rows(
                landing, "sales_ops/quotas", ["employee_id", "month_start"]
            ).to_dict("records")
            if r["quota_amount"]
        }

    def quarters(self) -> list[date]:
        """Locked quarters no SPIFF program overlaps (a change there moves no other quarter's
        SPIFF), latest first."""
        locked = {q for _, q in self.statements}
        return sorted(
            (
                q
                for q in locked
                if not any(
                    s <= next_quarter(q) - timedelta(days=1) and e >= q
                    for s, e in self.spiff_windows
                )
            ),
            reverse=True,
        )

    def fits(self, employee: str, quarter: date) -> bool:
        """A plan, a quota and a base rate; no clawback in or from the quarter (no other
        quarter's clawback line depends on its booking lines)."""
        s = self.statements.get((employee, quarter))
        return (
            s is not None
            and s["plan_id"] is not None
            and money(s["quota_amount"]) > 0
            and s["base_rate"] is not None
            and money(s["clawback_amount"]) == 0
            and not any(
                ln["opportunity_id"] in self.clawed_back for ln in self.lines[(employee, quarter)]
            )
        )

    def below_cap(self, employee: str, quarter: date, extra: Decimal = ZERO) -> bool:
        """Commission stays below the cap with ``extra`` credited bookings (a bound: every
        credit paid at the plan's highest multiplier)."""
        s = self.statements[(employee, quarter)]
        if s["cap_amount"] is None:
            return True
        bound = (money(s["credited_bookings"]) + extra) * Decimal(str(s["base_rate"]))
        bound *= Decimal(str(self.max_multiplier[(employee, quarter)] or 1))
        return money(s["gross_commission"]) < money(s["cap_amount"]) and bound < money(
            s["cap_amount"]
        )

    def unsplit_won_lines(self, employee: str, quarter: date) -> list[dict]:
        """Booking lines of deals credited 100 % to their owner, paying commission."""
        return sorted(
            (
                ln
                for ln in self.lines[(employee, quarter)]
                if ln["line_type"] == "booking"
                and money(ln["commission_amount"]) > 0
                and ln["opportunity_id"] not in self.split_opportunities
                and ln["opportunity_id"] not in self.clawed_back
                and ln["opportunity_id"] in self.opportunities
                and self.opportunities[ln["opportunity_id"]]["OwnerId"] == ln["rep_id"]
            ),
            key=lambda ln: ln["opportunity_id"],
        )


def corrected(quota: Decimal) -> Decimal:
    """How much a quota correction adds: a fifth, in hundreds."""
    return (quota * (QUOTA_CORRECTION - 1) / 100).quantize(Decimal(1)) * 100


def choose_night_2(books: Books) -> tuple[NightTwoChanges, dict]:
    """The four changes, each in its own (employee, locked quarter); returns them and the
    records to write."""
    used: set[tuple[str, date]] = set()
    employees = sorted({e for e, _ in books.statements})
    quarters = books.quarters()
    assert quarters, "no locked quarter outside the SPIFF programs"

    def free(employee: str, quarter: date) -> bool:
        return (employee, quarter) not in used and books.fits(employee, quarter)

    # A split: a won deal of its owner, half of it to another rep with a plan then.
    split = None
    for quarter in quarters:
        for owner in employees:
            if not free(owner, quarter) or not books.below_cap(owner, quarter):
                continue
            for line in books.unsplit_won_lines(owner, quarter):
                half = money(line["credited_amount"]) / 2
                partners = [
                    e
                    for e in employees
                    if e != owner and free(e, quarter) and books.below_cap(e, quarter, half)
                ]
                if partners:
                    split = (quarter, owner, partners[0], line)
                    break
            if split:
                break
        if split:
            break
    assert split, "no won deal of a locked quarter to split"
    quarter, owner, partner, line = split
    used |= {(owner, quarter), (partner, quarter)}
    split_owner = Change("split", owner, quarter, -1, line["opportunity_id"], f"50 % to {partner}")
    split_partner = Change(
        "split", partner, quarter, +1, line["opportunity_id"], f"50 % from {owner}"
    )

    # A deleted deal.
    deleted = next(
        (
            Change("deleted", e, q, -1, ln["opportunity_id"])
            for q in quarters
            for e in employees
            if free(e, q) and books.below_cap(e, q)
            for ln in books.unsplit_won_lines(e, q)[:1]
            if ln["opportunity_id"] != split_owner.opportunity_id
        ),
        None,
    )
    assert deleted, "no won deal of a locked quarter to delete"
    used.add((deleted.employee_id, deleted.quarter))

    # A quota corrected upward by a fifth in a month of the quarter.
    quota = None
    for q in quarters:
        for e in employees:
            s = books.statements.get((e, q))
            if not free(e, q) or not books.below_cap(e, q) or money(s["gross_commission"]) <= 0:
                continue
            months = [
                m
                for m in (q.replace(month=q.month + k) for k in (2, 1, 0))
                if books.month_quotas.get((e, m), 0) > 0
            ]
            if months and corrected(books.month_quotas[(e, months[0])]) > 0:
                quota = (e, q, months[0])
                break
        if quota:
            break
    assert quota, "no locked quarter with bookings and a monthly quota to correct"
    e, q, month = quota
    before = books.month_quotas[(e, month)]
    after = before + corrected(before)
    used.add((e, q))
    quota_change = Change("quota", e, q, -1, None, f"{month}: {before} -> {after}")

    # A late won deal: new, owned by a rep with a plan and room below the cap then.
    late = None
    for q in quarters:
        for e in employees:
            s = books.statements.get((e, q))
            if not free(e, q):
                continue
            amount = (money(s["quota_amount"]) * LATE_DEAL_SHARE / 100).quantize(Decimal(1)) * 100
            created = next_quarter(q) - timedelta(days=40)
            user = books.users.get(s["rep_id"])
            if (
                amount > 0
                and user is not None
                and date.fromisoformat(user["CreatedDate"][:10]) < created
                and books.below_cap(e, q, amount)
            ):
                late = (e, q, s["rep_id"], amount)
                break
        if late:
            break
    assert late, "no rep with a plan and room below the cap in a locked quarter"
    records = write_plan(books, split, deleted, quota, after, late)
    late_change = Change(
        "late_deal", late[0], late[1], +1, records["late_opportunity_id"], f"{late[3]}"
    )
    changes = NightTwoChanges(
        late_change, split_owner, split_partner, quota_change, deleted, month, after
    )
    return changes, records


def write_plan(books: Books, split, deleted: Change, quota, after: Decimal, late) -> dict:
    """The landing rows of night 2's changes (written by ``write_night_2_changes``)."""
    night = NIGHTS[2]
    ts = stamp(night)
    opportunities = salesforce_current(books.landing, "Opportunity")
    history = salesforce_current(books.landing, "OpportunityHistory")
    splits = salesforce_current(books.landing, "OpportunitySplit")
    stages = salesforce_current(books.landing, "OpportunityStage").sort_values(
        "SortOrder", key=lambda s: s.astype(int)
    )
    won_stage = stages[stages["IsWon"] == "true"].iloc[0]
    open_stage = stages[stages["IsClosed"] == "false"].iloc[0]

    # the late deal: an existing won deal of the rep as the template (account, type, source)
    _, quarter, rep_id, amount = late
    mine = opportunities[(opportunities["OwnerId"] == rep_id) & (opportunities["IsWon"] == "true")]
    template = (
        (mine if len(mine) else opportunities[opportunities["IsWon"] == "true"])
        .sort_values("Id")
        .iloc[0]
        .to_dict()
    )
    won_day = next_quarter(quarter) - timedelta(days=5)
    created_day = won_day - timedelta(days=30)
    opp_id = sf_id(KEY_PREFIX["Opportunity"], ID_COUNTER)
    amount_text = str(int(amount))
    late_opportunity = {
        **template,
        "Id": opp_id,
        "OwnerId": rep_id,
        "Name": f"{template['Name']} - late booking",
        "StageName": won_stage["ApiName"],
        "Amount": amount_text,
        "Probability": "100",
        "ExpectedRevenue": amount_text,
        "CloseDate": won_day.isoformat(),
        "IsClosed": "true",
        "IsWon": "true",
        "ForecastCategoryName": won_stage["ForecastCategoryName"],
        "CreatedDate": f"{created_day}T15:00:00.000Z",
        "CreatedById": rep_id,
        "IsDeleted": "false",
        "SystemModstamp": ts,
        "LastModifiedDate": ts,
        "Demo_Case__c": "",
    }
    history_template = history.sort_values("Id").iloc[0].to_dict()

    def history_row(k: int, stage, day: date) -> dict:
        return {
            **history_template,
            "Id": sf_id(KEY_PREFIX["OpportunityHistory"], ID_COUNTER + k),
            "OpportunityId": opp_id,
            "StageName": stage["ApiName"],
            "Amount": amount_text,
            "Probability": stage["DefaultProbability"],
            "ExpectedRevenue": str(int(amount) * int(stage["DefaultProbability"]) // 100),
            "CloseDate": won_day.isoformat(),
            "ForecastCategory": stage["ForecastCategory"],
            "CreatedDate": f"{day}T15:00:00.000Z",
            "CreatedById": rep_id,
            "IsDeleted": "false",
            "SystemModstamp": ts,
        }

    late_history = [history_row(0, open_stage, created_day), history_row(1, won_stage, won_day)]

    # the split: two rows of 50 %, owner and partner
    _, _, partner, line = split
    deal = opportunities.set_index("Id").loc[line["opportunity_id"]]
    split_template = splits.sort_values("Id").iloc[0].to_dict()
    partner_rep = books.statements[(partner, split[0])]["rep_id"]
    half = str(Decimal(deal["Amount"]) / 2)
    split_rows = [
        {
            **split_template,
            "Id": sf_id(KEY_PREFIX["OpportunitySplit"], ID_COUNTER + k),
            "OpportunityId": line["opportunity_id"],
            "SplitOwnerId": rep,
            "SplitPercentage": "50",
            "SplitAmount": half,
            "IsDeleted": "false",
            "SystemModstamp": ts,
        }
        for k, rep in enumerate((deal["OwnerId"], partner_rep))
    ]

    # the deleted deal: its current row again, deleted
    gone = opportunities.set_index("Id").loc[deleted.opportunity_id].to_dict()
    deleted_row = {
        **gone,
        "Id": deleted.opportunity_id,
        "IsDeleted": "true",
        "SystemModstamp": ts,
        "LastModifiedDate": ts,
    }
    employee_q, _, month = quota
    return {
        "late_opportunity_id": opp_id,
        "Opportunity": [late_opportunity, deleted_row],
        "OpportunityHistory": late_history,
        "OpportunitySplit": split_rows,
        "quotas": [
            {
                "employee_id": employee_q,
                "month_start": month.isoformat(),
                "quota_amount": str(after),
            }
        ],
    }


def write_night_2_changes(landing: Path, records: dict) -> None:
    for sobject in ("Opportunity", "OpportunityHistory", "OpportunitySplit"):
        write_salesforce(landing, sobject, NIGHTS[2], records[sobject])
    write_sales_ops(landing, "quotas", NIGHTS[2], "correction", records["quotas"])


@dataclass(frozen=True)
class NightFourChanges:
    quota: Change  # the same employee, quarter and month corrected again
    deleted_late_deal: Change  # night 2's late deal, deleted
    quota_after: Decimal


def write_night_4_changes(landing: Path, night2: NightTwoChanges) -> NightFourChanges:
    ts = stamp(NIGHTS[4])
    late = (
        salesforce_current(landing, "Opportunity")
        .set_index("Id")
        .loc[night2.late_deal.opportunity_id]
    )
    row = {
        **late.to_dict(),
        "Id": night2.late_deal.opportunity_id,
        "IsDeleted": "true",
        "SystemModstamp": ts,
        "LastModifiedDate": ts,
    }
    write_salesforce(landing, "Opportunity", NIGHTS[4], [row])
    after = night2.quota_after + corrected(night2.quota_after)
    quota = night2.quota
    write_sales_ops(
        landing,
        "quotas",
        NIGHTS[4],
        "correction",
        [
            {
                "employee_id": quota.employee_id,
                "month_start": night2.quota_month.isoformat(),
                "quota_amount": str(after),
            }
        ],
    )
    return NightFourChanges(
        Change("quota", quota.employee_id, quota.quarter, -1, None, f"-> {after}"),
        Change(
            "deleted",
            night2.late_deal.employee_id,
            night2.late_deal.quarter,
            -1,
            night2.late_deal.opportunity_id,
        ),
        after,
    )


# ----------------------------------------------------------------------------- nights


@dataclass(frozen=True)
class Night:
    number: int
    as_of: date
    run_id: str
    seconds: float
    bi: dict[str, Table]
    ledger: dict[str, Table]  # after the run
    ledger_before: dict[str, Table]  # at the start of the run
    # quarter -> (close_date, as-of date of the night that locks it, its run id)
    expected_locks: dict[date, tuple[date, date, str]]
    broken: str | None  # the ledger file's chain check after the run
    snapshot: Path | None = None  # a copy of the workspace as the night left it
    extra: dict = field(default_factory=dict)


EMPTY_LEDGER: dict[str, Table] = {}


def capture(ws: Workspace, number: int, seconds: float, previous: Night | None) -> Night:
    as_of = NIGHTS[number]
    run_id = latest_run(ws.dagster_home).run_id
    expected = dict(previous.expected_locks) if previous else {}
    periods = comp_periods(ws.landing)
    for quarter in sorted(closable(periods, as_of) - set(expected)):
        expected[quarter] = (periods[quarter], as_of, run_id)
    return Night(
        number,
        as_of,
        run_id,
        seconds,
        read_tables(ws.bi, "marts"),
        read_tables(ws.ledger, "main"),
        previous.ledger if previous else EMPTY_LEDGER,
        expected,
        None if (broken := verify(ws.ledger)) is None else str(broken),
    )


def rows(tables: Mapping[str, Table], name: str) -> list[dict]:
    table = tables.get(name)
    return table.dicts() if table else []


def run_or_fail(ws: Workspace, as_of: date) -> float:
    result, seconds = run_pipeline(ws, as_of)
    assert_succeeded(result)
    return seconds


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("period_close"))


@pytest.fixture(scope="module")
def night1(workspace: Workspace) -> Night:
    """Small demo data as of 2026-11-26 (the session's generated run's), the demo's
    comp_periods (or this module's when the demo writes none), the README's command."""
    generate(workspace.landing, scale=SCALE, seed=SEED, as_of=NIGHTS[1])
    if not comp_periods(workspace.landing):
        write_night_1_comp_periods(workspace.landing)
    seconds = run_or_fail(workspace, NIGHTS[1])
    return capture(workspace, 1, seconds, None)


@pytest.fixture(scope="module")
def night2(night1: Night, workspace: Workspace, tmp_path_factory) -> Night:
    books = Books(workspace.landing, night1.ledger, night1.bi)
    changes, records = choose_night_2(books)
    write_night_2_changes(workspace.landing, records)
    seconds = run_or_fail(workspace, NIGHTS[2])
    night = capture(workspace, 2, seconds, night1)
    snapshot = workspace.copy(tmp_path_factory.mktemp("after_night_2")).root
    return Night(**{**night.__dict__, "snapshot": snapshot, "extra": {"changes": changes}})


@pytest.fixture(scope="module")
def night3(night2: Night, workspace: Workspace) -> Night:
    write_night_3_changes(workspace.landing)
    seconds = run_or_fail(workspace, NIGHTS[3])
    night = capture(workspace, 3, seconds, night2)
    return Night(**{**night.__dict__, "extra": night2.extra})


@pytest.fixture(scope="module")
def night4(night3: Night, workspace: Workspace) -> Night:
    changes = write_night_4_changes(workspace.landing, night3.extra["changes"])
    seconds = run_or_fail(workspace, NIGHTS[4])
    night = capture(workspace, 4, seconds, night3)
    return Night(**{**night.__dict__, "extra": {**night3.extra, "night_4": changes}})


def night_of(request, number: int) -> Night:
    return request.getfixturevalue(f"night{number}")


# ----------------------------------------------------------------------------- the ledger's view


class LedgerView:
    def __init__(self, tables: Mapping[str, Table]):
        self.locks = {r["quarter_start"]: r for r in rows(tables, "locks")}
        self.statements = {
            (r["employee_id"], r["quarter_start"]): r for r in rows(tables, "statements")
        }
        self.lines = {line_key(r): r for r in rows(tables, "lines")}
        self.adjustments = rows(tables, "adjustments")
        self.previously_adjusted: defaultdict[tuple, Decimal] = defaultdict(Decimal)
        for r in self.adjustments:
            self.previously_adjusted[(r["employee_id"], r["adjusted_quarter_start"])] += money(
                r["adjustment_amount"]
            )

    def paying_quarter(self, adjusted: date) -> date:
        """The earliest quarter after ``adjusted`` that is not locked."""
        quarter = next_quarter(adjusted)
        while quarter in self.locks:
            quarter = next_quarter(quarter)
        return quarter


def line_key(row: Mapping) -> tuple:
    quarter = row.get("quarter_start", row.get("adjusted_quarter_start"))
    return (row["employee_id"], quarter, row["opportunity_id"], row["line_type"], row["spiff_id"])


STATEMENT_COLUMNS = (
    *(c for c in STATEMENT_TYPES if c != "run_id"),
    "locked_by_run_id",
    *STATEMENT_DISPLAY_TYPES,
    "ledger_hash",
)


def project(records: Iterable[Mapping], columns: Iterable[str]) -> list[tuple]:
    columns = tuple(columns)
    return sorted((tuple(comparable(r[c]) for c in columns) for r in records), key=repr)


def published_vs_ledger(bi: Mapping[str, Table], ledger: Mapping[str, Table]) -> dict[str, str]:
    """Per commission table, how the published rows of locked quarters differ from the
    ledger's (empty when equal). Statements: the rows that claim a lock must be the ledger's,
    and every locked quarter's rows must claim it."""
    view = LedgerView(ledger)
    locked = set(view.locks)
    statements = rows(bi, "mart_commission_statements")
    pairs = {
        "mart_commission_statements": (
            [s for s in statements if s["quarter_start"] in locked],
            [{**s, "locked_by_run_id": s["run_id"]} for s in rows(ledger, "statements")],
            STATEMENT_COLUMNS,
        ),
        "fct_commission_lines": (
            [r for r in rows(bi, "fct_commission_lines") if r["quarter_start"] in locked],
            rows(ledger, "lines"),
            LINE_TYPES,
        ),
        "fct_commission_line_tiers": (
            [r for r in rows(bi, "fct_commission_line_tiers") if r["quarter_start"] in locked],
            rows(ledger, "line_tiers"),
            LINE_TIER_TYPES,
        ),
        "mart_commission_statement_tiers": (
            [
                r
                for r in rows(bi, "mart_commission_statement_tiers")
                if r["quarter_start"] in locked
            ],
            rows(ledger, "statement_tiers"),
            STATEMENT_TIER_TYPES,
        ),
        "fct_commission_adjustments": (
            [r for r in rows(bi, "fct_commission_adjustments") if r["quarter_start"] in locked],
            rows(ledger, "adjustments"),
            ADJUSTMENT_TYPES,
        ),
    }
    return table_differences(
        {name: project(published, columns) for name, (published, _, columns) in pairs.items()},
        {name: project(kept, columns) for name, (_, kept, columns) in pairs.items()},
    )


def false_locks(bi: Mapping[str, Table], ledger: Mapping[str, Table]) -> list[str]:
    """Published rows that claim a lock the ledger does not hold, or differ from it."""
    view = LedgerView(ledger)
    problems = []
    for s in rows(bi, "mart_commission_statements"):
        if not s["is_locked"]:
            continue
        kept = view.statements.get((s["employee_id"], s["quarter_start"]))
        if kept is None:
            problems.append(f"{s['employee_id']} {s['quarter_start']}: locked, not in the ledger")
            continue
        expected = {**kept, "locked_by_run_id": kept["run_id"]}
        differing = [c for c in STATEMENT_COLUMNS if comparable(s[c]) != comparable(expected[c])]
        if differing:
            problems.append(f"{s['employee_id']} {s['quarter_start']}: differs in {differing}")
    for a in rows(bi, "fct_commission_adjustments"):
        if a["is_locked"] and a["quarter_start"] not in view.locks:
            problems.append(f"adjustment {a['employee_id']} {a['quarter_start']}: locked, no lock")
    return problems


def ledger_consistency(ledger: Mapping[str, Table]) -> list[str]:
    """Each locked statement's commission parts are the sums of its locked lines."""
    sums: defaultdict[tuple, Decimal] = defaultdict(Decimal)
    for line in rows(ledger, "lines"):
        sums[(line["employee_id"], line["quarter_start"], line["line_type"])] += money(
            line["commission_amount"]
        )
    problems = []
    for s in rows(ledger, "statements"):
        key = (s["employee_id"], s["quarter_start"])
        for column, line_type in (
            ("gross_commission", "booking"),
            ("clawback_amount", "clawback"),
            ("spiff_amount", "spiff"),
        ):
            if money(s[column]) != sums[(*key, line_type)]:
                problems.append(f"{key} {column} {s[column]} != lines {sums[(*key, line_type)]}")
    return problems


def computed_adjustments(night: Night) -> list[dict]:
    """The adjustments this night's run computed: open ones, and those its lock took."""
    before = LedgerView(night.ledger_before)
    after = LedgerView(night.ledger)
    locked_now = set(after.locks) - set(before.locks)
    return [
        a
        for a in rows(night.bi, "fct_commission_adjustments")
        if not a["is_locked"] or a["quarter_start"] in locked_now
    ]


def recomputation(night: Night) -> dict[tuple, dict]:
    """Per (employee, locked quarter) with line changes or locked adjustments: the recomputed
    quarter commission rebuilt from the locked statement and the line changes (booking lines
    capped by the plan's cap), and what the run should adjust."""
    before = LedgerView(night.ledger_before)
    deltas: defaultdict[tuple, defaultdict] = defaultdict(lambda: defaultdict(Decimal))
    for change in rows(night.bi, "fct_commission_line_changes"):
        key = (change["employee_id"], change["adjusted_quarter_start"])
        deltas[key][change["line_type"]] += money(change["difference"])
    out = {}
    # with line changes, or adjusted before (its lines may be back to the locked ones)
    for key in set(deltas) | {k for k, v in before.previously_adjusted.items() if v}:
        delta = deltas[key]
        locked = before.statements.get(key)
        if locked is None:
            continue
        gross = money(locked["gross_commission"]) + delta["booking"]
        cap = locked["cap_amount"]
        capped = gross if cap is None else min(gross, money(cap))
        recomputed = (
            capped
            + money(locked["clawback_amount"])
            + delta["clawback"]
            + money(locked["spiff_amount"])
            + delta["spiff"]
        )
        previous = before.previously_adjusted[key]
        out[key] = {
            "recomputed": recomputed,
            "locked": money(locked["quarter_commission_amount"]),
            "previous": previous,
            "remainder": recomputed - money(locked["quarter_commission_amount"]) - previous,
            "line_total": sum(delta.values(), ZERO),
            "cap_binds": cap is not None
            and (money(locked["gross_commission"]) > money(cap) or gross > money(cap)),
        }
    return out


def draw_problems(statements: list[dict]) -> list[str]:
    """The contract's draws from the published numbers: per employee, quarters in order, the
    balance from 0 and from each locked quarter's locked balance."""
    problems = []
    by_employee: defaultdict[str, list[dict]] = defaultdict(list)
    for s in statements:
        by_employee[s["employee_id"]].append(s)
    for employee, mine in sorted(by_employee.items()):
        balance = ZERO
        for s in sorted(mine, key=lambda s: s["quarter_start"]):
            if not s["is_locked"]:
                draw_target = money(s["quarterly_draw_amount"])
                earned = money(s["earned_amount"])
                draw = max(ZERO, draw_target - earned) if draw_target > 0 else ZERO
                recovery = min(balance, max(ZERO, earned - draw_target))
                end = balance + (draw if s["draw_type"] == "recoverable" else ZERO) - recovery
                expected = (draw, recovery, end, earned + draw - recovery)
                actual = tuple(
                    money(s[c])
                    for c in (
                        "draw_amount",
                        "draw_recovery_amount",
                        "draw_balance",
                        "payout_amount",
                    )
                )
                if actual != expected:
                    problems.append(
                        f"{employee} {s['quarter_start']}: (draw, recovery, balance, payout) "
                        f"{actual} != {expected} from balance {balance}"
                    )
            balance = money(s["draw_balance"])
    return problems


# ----------------------------------------------------------------------------- every night

EVERY_NIGHT = pytest.mark.parametrize("number", sorted(NIGHTS))


@EVERY_NIGHT
def test_the_ledger_locks_exactly_the_closed_quarters_and_its_chain_holds(request, number):
    night = night_of(request, number)
    ledger = night.ledger
    assert night.broken is None
    locks = {
        r["quarter_start"]: (r["close_date"], r["locked_as_of_date"], r["run_id"])
        for r in rows(ledger, "locks")
    }
    assert locks == night.expected_locks
    assert night.expected_locks, "nothing locked"
    statements = rows(ledger, "statements")
    assert {s["quarter_start"] for s in statements} == set(locks)
    for s in statements:
        _, as_of, run_id = locks[s["quarter_start"]]
        assert (s["locked_as_of_date"], s["run_id"]) == (as_of, run_id), s
    assert ledger_consistency(ledger) == []
    # append-only: the rows at the start of the run are all still there
    for name, table in night.ledger_before.items():
        assert set(table.rows) <= set(ledger[name].rows), name


@EVERY_NIGHT
def test_published_locked_quarters_equal_the_ledger(request, number):
    night = night_of(request, number)
    assert published_vs_ledger(night.bi, night.ledger) == {}
    assert false_locks(night.bi, night.ledger) == []


@EVERY_NIGHT
def test_lock_columns_are_set_exactly_on_locked_quarters(request, number):
    night = night_of(request, number)
    locked = set(LedgerView(night.ledger).locks)
    statements = rows(night.bi, "mart_commission_statements")
    assert {s["quarter_start"] for s in statements} >= locked
    for s in statements:
        is_locked = s["quarter_start"] in locked
        lock = [s[c] for c in ("locked_at", "locked_as_of_date", "ledger_hash", "locked_by_run_id")]
        assert s["is_locked"] == is_locked, s
        assert all(v is not None for v in lock) if is_locked else all(v is None for v in lock), s
    for a in rows(night.bi, "fct_commission_adjustments"):
        assert a["is_locked"] == (a["quarter_start"] in locked), a


@EVERY_NIGHT
def test_adjustments_are_recomputed_minus_locked_minus_previously_adjusted(request, number):
    """From the published numbers and the ledger at the start of the run."""
    night = night_of(request, number)
    before = LedgerView(night.ledger_before)
    computed = computed_adjustments(night)
    for a in computed:
        key = (a["employee_id"], a["adjusted_quarter_start"])
        assert a["adjusted_quarter_start"] in before.locks, a
        assert a["quarter_start"] == before.paying_quarter(a["adjusted_quarter_start"]), a
        locked = before.statements.get(key)
        assert a["locked_amount"] == (
            money(locked["quarter_commission_amount"]) if locked else 0
        ), a
        assert a["previously_adjusted_amount"] == before.previously_adjusted[key], a
        assert a["adjustment_amount"] == (
            a["recomputed_amount"] - a["locked_amount"] - a["previously_adjusted_amount"]
        ), a
        assert a["adjustment_amount"] != 0, a
    assert len(
        {(a["employee_id"], a["quarter_start"], a["adjusted_quarter_start"]) for a in computed}
    ) == len(computed)

    # The statements of the quarters that pay them carry them.
    paid: defaultdict[tuple, Decimal] = defaultdict(Decimal)
    for a in rows(night.bi, "fct_commission_adjustments"):
        paid[(a["employee_id"], a["quarter_start"])] += a["adjustment_amount"]
    statements = {
        (s["employee_id"], s["quarter_start"]): s
        for s in rows(night.bi, "mart_commission_statements")
    }
    assert set(paid) <= set(statements), set(paid) - set(statements)
    for key, s in statements.items():
        if s["quarter_start"] in before.locks:
            continue  # the locked rows: the ledger's (test above)
        assert s["adjustment_amount"] == paid.get(key, 0), s
        assert s["earned_amount"] == s["quarter_commission_amount"] + s["adjustment_amount"], s
        if s["plan_id"] is None:  # a row only for an adjustment
            assert key in paid, s
            assert all(
                s[c] is None
                for c in ("quota_amount", "target_incentive", "base_rate", "attainment_rate")
            ), s
            assert all(
                s[c] == 0
                for c in (
                    "credited_bookings",
                    "gross_commission",
                    "capped_commission",
                    "clawback_amount",
                    "spiff_amount",
                    "quarter_commission_amount",
                )
            ), s


@EVERY_NIGHT
def test_line_changes_explain_the_adjustments(request, number):
    """Every locked line whose recomputation differs, with the ledger's amount; rebuilt from
    the locked statement and these differences, each (employee, locked quarter)'s recomputed
    commission less locked and previously adjusted is exactly the adjustment the run pays
    (none where it is 0); where the cap does not bind, the differences add up to recomputed -
    locked."""
    night = night_of(request, number)
    before = LedgerView(night.ledger_before)
    changes = rows(night.bi, "fct_commission_line_changes")
    for c in changes:
        assert c["adjusted_quarter_start"] in before.locks, c
        kept = before.lines.get(line_key(c))
        assert c["locked_commission_amount"] == (kept["commission_amount"] if kept else None), c
        assert c["difference"] == money(c["recomputed_commission_amount"]) - money(
            c["locked_commission_amount"]
        ), c
        assert c["difference"] != 0 or None in (
            c["locked_commission_amount"],
            c["recomputed_commission_amount"],
        ), c
    expected = recomputation(night)
    computed = {
        (a["employee_id"], a["adjusted_quarter_start"]): a for a in computed_adjustments(night)
    }
    assert set(computed) <= set(expected), set(computed) - set(expected)
    for key, e in expected.items():
        if e["remainder"].quantize(CENT) == 0:
            assert key not in computed, (key, e, computed.get(key))
            continue
        a = computed.get(key)
        assert a is not None, (key, e)
        assert (a["recomputed_amount"], a["adjustment_amount"]) == (
            e["recomputed"],
            e["remainder"],
        ), (key, e, a)
        if not e["cap_binds"]:
            assert e["line_total"] == e["recomputed"] - e["locked"], (key, e)


@EVERY_NIGHT
def test_draws_carry_from_the_locked_balance(request, number):
    night = night_of(request, number)
    assert draw_problems(rows(night.bi, "mart_commission_statements")) == []


# ----------------------------------------------------------------------------- the changes


def adjusted(night: Night) -> dict[tuple, Decimal]:
    return {
        (a["employee_id"], a["adjusted_quarter_start"]): a["adjustment_amount"]
        for a in computed_adjustments(night)
    }


def changed_pairs(night: Night) -> set[tuple]:
    return {
        (c["employee_id"], c["adjusted_quarter_start"])
        for c in rows(night.bi, "fct_commission_line_changes")
    }


def line_changes_of(night: Night, change: Change) -> list[dict]:
    return [
        c
        for c in rows(night.bi, "fct_commission_line_changes")
        if (c["employee_id"], c["adjusted_quarter_start"]) == (change.employee_id, change.quarter)
    ]


def test_night_1_locks_what_it_computed_with_nothing_to_adjust(night1: Night):
    # every quarter comp_periods closes by 2026-11-26 (the demo's: 2024Q4..2026Q3), up to
    # 2026Q3 (closed on 2026-10-15); 2026Q4 is open
    assert len(night1.expected_locks) >= 4, sorted(night1.expected_locks)
    assert max(night1.expected_locks) == date(2026, 7, 1)
    assert rows(night1.bi, "fct_commission_adjustments") == []
    assert rows(night1.bi, "fct_commission_line_changes") == []
    assert rows(night1.ledger, "adjustments") == []


def test_night_2_adjusts_exactly_the_changed_employees_in_the_open_quarter(night2: Night):
    changes: NightTwoChanges = night2.extra["changes"]
    amounts = adjusted(night2)
    assert {k: (v > 0) - (v < 0) for k, v in amounts.items()} == {
        (c.employee_id, c.quarter): c.sign for c in changes.all
    }, changes
    assert {a["quarter_start"] for a in computed_adjustments(night2)} == {Q4_2026}
    assert changed_pairs(night2) == {(c.employee_id, c.quarter) for c in changes.all}
    # the deal-level changes behind them
    late = line_changes_of(night2, changes.late_deal)
    assert [
        (c["opportunity_id"], c["line_type"], c["locked_commission_amount"])
        for c in late
        if c["opportunity_id"] == changes.late_deal.opportunity_id
    ] == [(changes.late_deal.opportunity_id, "booking", None)]
    gone = line_changes_of(night2, changes.deleted)
    assert [
        (c["line_type"], c["recomputed_commission_amount"])
        for c in gone
        if c["opportunity_id"] == changes.deleted.opportunity_id
    ] == [("booking", None)]
    partner = [
        c
        for c in line_changes_of(night2, changes.split_partner)
        if c["opportunity_id"] == changes.split_partner.opportunity_id
    ]
    assert [(c["line_type"], c["locked_commission_amount"]) for c in partner] == [("booking", None)]
    owner = [
        c
        for c in line_changes_of(night2, changes.split_owner)
        if c["opportunity_id"] == changes.split_owner.opportunity_id
    ]
    assert len(owner) == 1 and owner[0]["difference"] < 0, owner
    quota = line_changes_of(night2, changes.quota)
    assert quota and all(
        c["locked_commission_amount"] is not None
        and c["recomputed_commission_amount"] is not None
        and c["difference"] < 0
        for c in quota
    ), quota
    # nothing new is locked: night 2's as-of closes no quarter
    assert set(LedgerView(night2.ledger).locks) == set(LedgerView(night2.ledger_before).locks)


def test_night_3_locks_the_open_quarter_with_the_adjustments_it_pays(night2: Night, night3: Night):
    assert set(LedgerView(night3.ledger).locks) - set(LedgerView(night2.ledger).locks) == {Q4_2026}
    columns = tuple(ADJUSTMENT_TYPES)
    # The same data as night 2: the same adjustments, now locked with 2026Q4.
    assert project(rows(night3.ledger, "adjustments"), columns) == project(
        rows(night2.bi, "fct_commission_adjustments"), columns
    )
    assert [a for a in rows(night3.bi, "fct_commission_adjustments") if not a["is_locked"]] == []
    assert all(a["is_locked"] for a in rows(night3.bi, "fct_commission_adjustments"))
    locked_q4 = {
        s["employee_id"]: s
        for s in rows(night3.ledger, "statements")
        if s["quarter_start"] == Q4_2026
    }
    for employee, _ in adjusted(night2):
        assert employee in locked_q4
    assert changed_pairs(night3) == changed_pairs(night2)


def test_night_4_adjusts_only_the_rest(night3: Night, night4: Night):
    changes: NightTwoChanges = night4.extra["changes"]
    again: NightFourChanges = night4.extra["night_4"]
    locked = LedgerView(night3.ledger)
    computed = {
        (a["employee_id"], a["adjusted_quarter_start"]): a for a in computed_adjustments(night4)
    }
    assert set(computed) == {
        (again.quota.employee_id, again.quota.quarter),
        (again.deleted_late_deal.employee_id, again.deleted_late_deal.quarter),
    }
    assert {a["quarter_start"] for a in computed.values()} == {date(2027, 1, 1)}
    for key, a in computed.items():
        assert a["previously_adjusted_amount"] == locked.previously_adjusted[key] != 0, a
    # the late deal is gone again: the quarter is back to what was locked
    late = computed[(again.deleted_late_deal.employee_id, again.deleted_late_deal.quarter)]
    assert late["recomputed_amount"] == late["locked_amount"], late
    assert late["adjustment_amount"] == -late["previously_adjusted_amount"], late
    assert line_changes_of(night4, changes.late_deal) == []
    # the quota grows again: less commission than night 2 recomputed, paid as the rest only
    quota = computed[(again.quota.employee_id, again.quota.quarter)]
    assert quota["adjustment_amount"] < 0, quota
    night2_quota = next(
        a
        for a in rows(night3.ledger, "adjustments")
        if (a["employee_id"], a["adjusted_quarter_start"])
        == (again.quota.employee_id, again.quota.quarter)
    )
    assert quota["recomputed_amount"] < night2_quota["recomputed_amount"], (quota, night2_quota)
    assert (
        quota["adjustment_amount"] == quota["recomputed_amount"] - night2_quota["recomputed_amount"]
    ), (quota, night2_quota)
    # the split and the deleted deal stay as adjusted: line changes, no adjustment
    assert changed_pairs(night4) == {
        (c.employee_id, c.quarter)
        for c in (changes.split_owner, changes.split_partner, changes.deleted, changes.quota)
    }


# ----------------------------------------------------------------------------- rebuild, tamper


@dataclass(frozen=True)
class Rebuilt:
    seconds: float
    warehouse_was_deleted: bool
    bi: dict[str, Table]
    ledger: dict[str, Table]


@pytest.fixture(scope="module")
def rebuilt(night4: Night, workspace: Workspace) -> Rebuilt:
    """Night 4 again after the warehouse folder is deleted (dbt's target folder with it)."""
    shutil.rmtree(workspace.warehouse.parent)
    deleted = not workspace.warehouse.exists()
    seconds = run_or_fail(workspace, NIGHTS[4])
    return Rebuilt(
        seconds, deleted, read_tables(workspace.bi, "marts"), read_tables(workspace.ledger, "main")
    )


def test_a_rebuild_without_the_warehouse_publishes_the_same_bi_contents(
    night4: Night, rebuilt: Rebuilt
):
    assert rebuilt.warehouse_was_deleted
    assert len(rebuilt.bi) == len(night4.bi) >= 20
    assert table_differences(masked(night4.bi), masked(rebuilt.bi)) == {}
    # and the ledger is untouched: nothing closes on night 4
    assert table_differences(masked(night4.ledger), masked(rebuilt.ledger)) == {}


def step_failures(home: Path, run_id: str) -> list[tuple[str, str]]:
    """(step, message) of every failed step of the run."""
    with instance_at(home) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.STEP_FAILURE
        ).records
    out = []
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data
        text = " ".join(
            str(part)
            for part in (
                getattr(getattr(data, "user_failure_data", None), "description", None),
                getattr(getattr(data, "error", None), "message", None),
            )
            if part
        )
        out.append((event.step_key, text))
    return out


@dataclass(frozen=True)
class TamperedRun:
    result: subprocess.CompletedProcess
    status: dg.DagsterRunStatus
    edited: dict  # the edited statement: sequence, employee_id, quarter_start
    cli_before: subprocess.CompletedProcess
    cli_after: subprocess.CompletedProcess
    failures: list[tuple[str, str]]
    materialized: set[dg.AssetKey]
    bi_before: bytes
    bi_after: bytes
    ledger_edited: bytes
    ledger_after_run: bytes
    restored_broken: str | None


def cli_verify(ledger: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli.ledger", "verify", "--ledger", str(ledger)],
        cwd=REPO_ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tampered(rebuilt: Rebuilt, workspace: Workspace, tmp_path_factory) -> TamperedRun:
    """One number of one locked statement edited in the ledger file; night 4 run again; the
    ledger restored from its backup afterwards."""
    ledger = workspace.ledger
    backup = tmp_path_factory.mktemp("ledger_backup") / ledger.name
    shutil.copy(ledger, backup)
    statements = rows(read_tables(ledger, "main"), "statements")
    target = statements[len(statements) // 2]
    cli_before = cli_verify(ledger)
    with duckdb.connect(str(ledger)) as con:
        con.execute(
            "update statements set payout_amount = payout_amount + 1 where sequence = ?",
            [target["sequence"]],
        )
    ledger_edited = ledger.read_bytes()
    cli_after = cli_verify(ledger)
    bi_before = workspace.bi.read_bytes()
    result, _ = run_pipeline(workspace, NIGHTS[4])
    run = latest_run(workspace.dagster_home)
    tampered_run = TamperedRun(
        result,
        run.status,
        {k: target[k] for k in ("sequence", "employee_id", "quarter_start")},
        cli_before,
        cli_after,
        step_failures(workspace.dagster_home, run.run_id),
        run.materialized,
        bi_before,
        workspace.bi.read_bytes(),
        ledger_edited,
        ledger.read_bytes(),
        None,
    )
    shutil.copy(backup, ledger)
    broken = verify(ledger)
    return TamperedRun(
        **{**tampered_run.__dict__, "restored_broken": None if broken is None else str(broken)}
    )


def test_an_edited_ledger_fails_the_run_naming_the_statement_and_publishes_nothing(
    tampered: TamperedRun,
):
    edited = tampered.edited
    names = (
        f"#{edited['sequence']} (employee {edited['employee_id']}, "
        f"quarter {edited['quarter_start']})"
    )
    assert tampered.cli_before.returncode == 0, (
        tampered.cli_before.stdout + tampered.cli_before.stderr
    )
    assert tampered.cli_after.returncode == 1, tampered.cli_after.stdout + tampered.cli_after.stderr
    assert names in tampered.cli_after.stdout
    assert tampered.result.returncode != 0, tail(tampered.result)
    assert tampered.status == dg.DagsterRunStatus.FAILURE
    failed = [(step, text) for step, text in tampered.failures]
    assert [step for step, _ in failed] == ["payout_ledger"], failed
    assert names in failed[0][1], failed
    # Every asset waits for the verified ledger: not even a raw table is loaded.
    assert not tampered.materialized, tampered.materialized
    assert tampered.bi_after == tampered.bi_before
    assert tampered.ledger_after_run == tampered.ledger_edited  # the run wrote nothing
    assert tampered.restored_broken is None


# ----------------------------------------------------------------------------- kills

LOCK_WRITTEN = {"after_ledger_write", "during_publish"}
LOCK_COLUMNS = ("locked_at", "locked_as_of_date", "locked_by_run_id", "ledger_hash")


@dataclass(frozen=True)
class KilledRun:
    point: str
    returncode: int
    output: str
    marker: str | None
    seconds: float
    ledger_before: dict[str, Table]
    bi_before: bytes
    # after the kill
    broken: str | None
    ledger: dict[str, Table]
    bi: bytes
    bi_tables: dict[str, Table]
    staging: list[str]
    # the next run
    next_result: subprocess.CompletedProcess
    next_seconds: float
    next_broken: str | None
    next_ledger: dict[str, Table]
    next_bi: dict[str, Table]
    next_staging: list[str]


@pytest.fixture(scope="module", params=POINTS)
def killed(request, night2: Night, night3: Night, tmp_path_factory) -> KilledRun:
    """Night 3 in a copy of the workspace as night 2 left it, killed at the point; then night 3
    again, uninterrupted."""
    point = request.param
    ws = Workspace(night2.snapshot).copy(tmp_path_factory.mktemp(f"killed_{point}"))
    write_night_3_changes(ws.landing)
    ledger_before = read_tables(ws.ledger, "main")
    bi_before = ws.bi.read_bytes()
    marker = ws.root / "killed_at.txt"
    started = time.monotonic()
    env = killing_environment(ws.env(NIGHTS[3]), point, marker, ws.root / "kill_hook")
    result = materialize(env)
    seconds = time.monotonic() - started
    broken = verify(ws.ledger)
    after_kill = dict(
        broken=None if broken is None else str(broken),
        ledger=read_tables(ws.ledger, "main"),
        bi=ws.bi.read_bytes(),
        bi_tables=read_tables(ws.bi, "marts"),
        staging=staging_files(ws),
    )
    next_result, next_seconds = run_pipeline(ws, NIGHTS[3])
    next_broken = verify(ws.ledger)
    return KilledRun(
        point,
        result.returncode,
        tail(result),
        marker.read_text() if marker.exists() else None,
        seconds,
        ledger_before,
        bi_before,
        **after_kill,
        next_result=next_result,
        next_seconds=next_seconds,
        next_broken=None if next_broken is None else str(next_broken),
        next_ledger=read_tables(ws.ledger, "main"),
        next_bi=read_tables(ws.bi, "marts"),
        next_staging=staging_files(ws),
    )


def lock_rows_added(before: Mapping[str, Table], after: Mapping[str, Table]) -> int:
    return sum(len(after[t].rows) - len(before.get(t, Table((), [])).rows) for t in TABLES)


def test_a_killed_run_dies_at_its_point(killed: KilledRun, night2: Night, night3: Night):
    assert killed.returncode == -9, killed.output  # SIGKILL, from inside the publish step
    assert killed.marker is not None and killed.marker.startswith(killed.point), killed.output
    if killed.point == "before_ledger_write":
        assert killed.marker == f"before_ledger_write quarters={[str(Q4_2026)]}"
    if killed.point == "during_ledger_write":
        # every row of the lock was inserted, the transaction not committed
        assert (
            killed.marker
            == f"during_ledger_write inserts={lock_rows_added(night2.ledger, night3.ledger)}"
        )


def test_a_killed_run_leaves_the_ledger_a_committed_whole(
    killed: KilledRun, night2: Night, night3: Night
):
    assert killed.broken is None
    if killed.point in LOCK_WRITTEN:
        # the whole lock: night 3's rows, its own lock time, run id and hashes
        assert (
            table_differences(
                masked(killed.ledger, [Q4_2026], LOCK_IDENTITY),
                masked(night3.ledger, [Q4_2026], LOCK_IDENTITY),
            )
            == {}
        )
    else:
        assert table_differences(masked(killed.ledger), masked(killed.ledger_before)) == {}
        assert table_differences(masked(killed.ledger), masked(night2.ledger)) == {}


def test_a_killed_run_leaves_the_bi_file_byte_identical_and_claims_no_lock_it_lacks(
    killed: KilledRun,
):
    assert killed.bi == killed.bi_before
    assert false_locks(killed.bi_tables, killed.ledger) == []
    if killed.point in LOCK_WRITTEN:
        # The ledger locks 2026Q4 and the BI file is night 2's: it shows the quarter open (no
        # row claims the lock) with the values the ledger locked (night 3 changes only
        # comp_periods), until the next run publishes the lock.
        values = [c for c in STATEMENT_COLUMNS if c not in LOCK_COLUMNS]
        shown = [
            s
            for s in rows(killed.bi_tables, "mart_commission_statements")
            if s["quarter_start"] == Q4_2026
        ]
        kept = [s for s in rows(killed.ledger, "statements") if s["quarter_start"] == Q4_2026]
        assert shown and not any(s["is_locked"] for s in shown)
        assert project(shown, values) == project(kept, values)
    if killed.point == "during_publish":
        assert killed.staging, "the kill landed before publish wrote its temp file"


def test_the_run_after_a_kill_converges_to_the_uninterrupted_night(
    killed: KilledRun, night3: Night
):
    assert killed.next_result.returncode == 0, tail(killed.next_result)
    assert killed.next_broken is None
    assert killed.next_staging == []
    if killed.point in LOCK_WRITTEN:  # the killed run's lock stands; nothing is added
        assert table_differences(masked(killed.next_ledger), masked(killed.ledger)) == {}
    identity = ([Q4_2026], LOCK_IDENTITY)
    assert (
        table_differences(masked(killed.next_ledger, *identity), masked(night3.ledger, *identity))
        == {}
    )
    assert table_differences(masked(killed.next_bi, *identity), masked(night3.bi, *identity)) == {}
    assert published_vs_ledger(killed.next_bi, killed.next_ledger) == {}
