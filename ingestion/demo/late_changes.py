"""Changes that reach quarters already closed, for the next night's drop (``delta``).

Period close locks what a quarter paid; later data make the pipeline compute adjustments. The
night after a landing folder's last extract, three changes land in quarters the previous run
could lock (``sales_ops/comp_periods``: close_date and the quarter's last day before the night's
eve):

* ``late_won_deal``: a new Opportunity won near the end of a closed quarter, back-loaded with its
  audit dates (``CreatedDate`` of the record and of its ``OpportunityHistory`` rows in the past,
  ``SystemModstamp`` the evening before the night), owned by a rep with a plan then; unsplit.
* ``split_changed``: an existing won deal of a closed quarter, credited 100 % to its owner (no
  split rows), gets two ``OpportunitySplit`` rows: 50 % owner, 50 % another rep with a plan then.
  Its Opportunity gets a version carrying the tag.
* quota correction: a ``sales_ops/quotas`` file revising one employee's month of a closed quarter
  upward by a fifth (the later file wins).

The choice reads the folder (the latest version of every record, the later sales-ops file per
key), so it fits any folder, also one with earlier nights' drops. Each change hits its own
(employee, quarter), and that quarter's commission moves one way for sure. Every hit employee has
a plan applying to the quarter, a quota in it, and no deal credited in it that is lost later (no
clawback elsewhere depends on it); the attainment on the side where the cap could bind stays
below the one where the plan's cap binds (AE-STD: 1.75, AE-RETRO: about 1.39, AE-ACCEL: none).
Commission grows with attainment under both tier methods, so the late deal's owner and the
split's second rep gain, the split's owner and the corrected employee lose (SPIFF lines, never
capped, move the same way). Active reps without a ``Demo_Case__c`` tag come first; other reps
only where no quarter has enough of those (small scales).
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.demo import text
from ingestion.demo.accounts import Account
from ingestion.demo.fmt import HOUR, at, day_number, money, sf_date
from ingestion.demo.ids import IdFactory, stream
from ingestion.demo.opportunities import Opp, Split, Step
from ingestion.demo.opportunity_rows import HistoryEdits, history_versions, split_versions
from ingestion.demo.opportunity_rows import opportunity_versions as opp_versions
from ingestion.demo.sales_ops import EXISTING_BUSINESS
from ingestion.demo.stages import BY_NAME, WON
from ingestion.demo.timeline import add_months, quarter_start, weekday_of
from ingestion.demo.users import User
from ingestion.demo.versions import Row, Version, route
from ingestion.landing import object_files

LATE_WON_DEAL = "late_won_deal"
SPLIT_CHANGED = "split_changed"
QUOTA_CORRECTED = "quota_corrected"  # a sales-ops row: no tag column
# Ids of a night's records: a range of their own per night, far above the generator's.
NIGHT_COUNTER_BASE = 800_000_000
NIGHT_COUNTER_STEP = 1_000
# The cap's attainment, taken a little lower: lines are rounded to cents.
CAP_MARGIN = Decimal("0.98")
LATE_DEAL_SHARE = Decimal("0.2")  # of the owner's quarterly quota
QUOTA_CORRECTION = Decimal("1.2")
_STAGES = ("Qualification", "Proposal/Price Quote", "Negotiation/Review", "Closed Won")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Hit:
    """One employee's closed quarter that a change moves, and which way (+1 / -1)."""

    change: str
    employee_id: str
    quarter: date
    sign: int
    detail: str


@dataclass
class LateChanges:
    night: date
    salesforce: dict[str, list[Row]] = field(default_factory=dict)  # object -> stamped rows
    quotas: list[Row] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)


# ---------------------------------------------------------------- what the folder holds


def _cents(value: str) -> int:
    """Money in cents, a percentage in hundredths (``33.34`` -> 3334)."""
    return int(Decimal(value or "0") * 100)


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


def _quarter_end(quarter: date) -> date:
    return add_months(quarter, 3) - _DAY


def _salesforce_latest(con: duckdb.DuckDBPyConnection, landing: Path, name: str) -> list[Row]:
    """Every record's latest version (greatest SystemModstamp, then the later file)."""
    files = [str(p) for p in object_files(landing, OBJECTS_BY_FOLDER[f"salesforce/{name}"])]
    if not files:
        return []
    result = con.execute(
        """
        select * exclude (filename) from read_csv(?, all_varchar = true, union_by_name = true,
            filename = true)
        qualify row_number() over (
            partition by "Id" order by cast("SystemModstamp" as timestamp) desc, filename desc
        ) = 1
        order by "Id"
        """,
        [files],
    )
    columns = [d[0] for d in result.description]
    return [
        {c: "" if v is None else v for c, v in zip(columns, row, strict=True)}
        for row in result.fetchall()
    ]


def _later_file_wins(landing: Path, folder: str, *key: str) -> dict[tuple[str, ...], Row]:
    out: dict[tuple[str, ...], Row] = {}
    for path in object_files(landing, OBJECTS_BY_FOLDER[folder]):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                out[tuple(row[k] for k in key)] = row
    return out


@dataclass(frozen=True)
class Won:
    opportunity_id: str
    day: date
    amount: int  # cents
    lost_later: bool


class Books:
    """The records and sales-ops rows the changes are chosen from."""

    def __init__(self, landing: Path) -> None:
        con = duckdb.connect()
        try:
            con.execute("set enable_progress_bar = false")
            latest = {
                name: _salesforce_latest(con, landing, name)
                for name in (
                    "User",
                    "Account",
                    "Opportunity",
                    "OpportunityHistory",
                    "OpportunitySplit",
                )
            }
        finally:
            con.close()

        def live(name: str) -> dict[str, Row]:
            return {r["Id"]: r for r in latest[name] if r.get("IsDeleted") != "true"}

        self.users = {r["Id"]: r for r in latest["User"]}
        self.user_of = {r["EmployeeNumber"]: r for r in self.users.values() if r["EmployeeNumber"]}
        self.accounts = live("Account")
        self.opps = live("Opportunity")
        self.split_types = sorted({r["SplitTypeId"] for r in latest["OpportunitySplit"]})
        trails: defaultdict[str, list[Row]] = defaultdict(list)
        for row in live("OpportunityHistory").values():
            if row["OpportunityId"] in self.opps:
                trails[row["OpportunityId"]].append(row)
        self.trails = {
            k: sorted(v, key=lambda r: (r["CreatedDate"], r["Id"])) for k, v in trails.items()
        }
        self.split_owners: defaultdict[str, dict[str, int]] = defaultdict(dict)
        for row in live("OpportunitySplit").values():
            if row["OpportunityId"] in self.opps:
                self.split_owners[row["OpportunityId"]][row["SplitOwnerId"]] = _cents(
                    row["SplitPercentage"]
                )
        self.won = {w.opportunity_id: w for o in self.opps.values() if (w := self._won(o))}
        # (employee, quarter) -> [(won, credited cents)]
        self.credits: defaultdict[tuple[str, date], list[tuple[Won, int]]] = defaultdict(list)
        for won in self.won.values():
            opp = self.opps[won.opportunity_id]
            shares = self.split_owners.get(won.opportunity_id) or {opp["OwnerId"]: 10_000}
            for user_id, share in shares.items():
                employee = self.users.get(user_id, {}).get("EmployeeNumber", "")
                if employee:
                    credit = won.amount * share // 10_000
                    self.credits[(employee, quarter_start(won.day))].append((won, credit))
        self.assignments = list(
            _later_file_wins(
                landing, "sales_ops/plan_assignments", "employee_id", "plan_id", "effective_start"
            ).values()
        )
        self.month_quotas = {
            (r["employee_id"], date.fromisoformat(r["month_start"])): _cents(r["quota_amount"])
            for r in _later_file_wins(
                landing, "sales_ops/quotas", "employee_id", "month_start"
            ).values()
        }
        self.quotas: defaultdict[tuple[str, date], int] = defaultdict(int)
        for (employee, month), cents in self.month_quotas.items():
            self.quotas[(employee, quarter_start(month))] += cents
        self.periods = {
            date.fromisoformat(r["quarter_start"]): r["close_date"]
            for r in _later_file_wins(landing, "sales_ops/comp_periods", "quarter_start").values()
        }
        tiers: defaultdict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for (plan, floor), row in _later_file_wins(
            landing, "sales_ops/comp_plan_tiers", "plan_id", "floor_attainment"
        ).items():
            ceiling = float(row["ceiling_attainment"] or "inf")
            tiers[plan].append((float(floor), ceiling, float(row["rate_multiplier"])))
        self.cap_attainment = {
            plan: _cap_attainment(row, tiers[plan])
            for (plan,), row in _later_file_wins(landing, "sales_ops/comp_plans", "plan_id").items()
        }

    def _won(self, opp: Row) -> Won | None:
        """Won date and amount (the first won history row, else close date and amount), and
        whether a lost row follows (a clawback)."""
        trail = self.trails.get(opp["Id"], [])
        stages = [BY_NAME.get(r["StageName"]) for r in trail]
        first = next((i for i, s in enumerate(stages) if s is not None and s.is_won), None)
        if first is not None:
            lost = any(s is not None and s.is_closed and not s.is_won for s in stages[first:])
            row = trail[first]
            return Won(opp["Id"], _day(row["CreatedDate"]), _cents(row["Amount"]), lost)
        if opp["IsWon"] == "true" and opp["CloseDate"]:
            return Won(opp["Id"], _day(opp["CloseDate"]), _cents(opp["Amount"]), False)
        return None

    def closed_quarters(self, eve: date) -> list[date]:
        """Quarters the run of ``eve`` (the night's previous day) could lock, latest first."""
        return sorted(
            (
                q
                for q, close in self.periods.items()
                if close and date.fromisoformat(close) <= eve and _quarter_end(q) < eve
            ),
            reverse=True,
        )

    def booked(self, employee: str, quarter: date) -> int:
        return sum(credit for _, credit in self.credits.get((employee, quarter), []))

    def plan(self, employee: str, quarter: date) -> str | None:
        """The plan that applies to the quarter: the assignment in effect on its last day, else
        the latest start overlapping it (the mart contract's rule)."""
        first, last = quarter.isoformat(), _quarter_end(quarter).isoformat()
        mine = [
            a
            for a in self.assignments
            if a["employee_id"] == employee
            and a["effective_start"] <= last
            and (not a["effective_end"] or a["effective_end"] >= first)
        ]
        on_last = [a for a in mine if not a["effective_end"] or a["effective_end"] >= last]
        chosen = max(on_last or mine, key=lambda a: a["effective_start"], default=None)
        return None if chosen is None else chosen["plan_id"]

    def fits(self, employee: str, quarter: date, preferred: bool) -> bool:
        """A rep whose quarter moves one way with its bookings or quota: a Salesforce user, a
        plan and a quota in the quarter, no clawback from it; ``preferred``: an active user
        without a ``Demo_Case__c`` tag."""
        user = self.user_of.get(employee)
        return (
            user is not None
            and (not preferred or (user["IsActive"] == "true" and not user.get("Demo_Case__c")))
            and self.plan(employee, quarter) in self.cap_attainment
            and self.quotas.get((employee, quarter), 0) > 0
            and not any(w.lost_later for w, _ in self.credits.get((employee, quarter), []))
        )

    def below_cap(self, employee: str, quarter: date, extra: int = 0, quota: int = 0) -> bool:
        """Whether the attainment with ``extra`` bookings and ``quota`` more quota stays below
        the one where the plan's cap binds."""
        limit = self.cap_attainment[self.plan(employee, quarter) or ""]
        total = self.quotas[(employee, quarter)] + quota
        attainment = Decimal(self.booked(employee, quarter) + extra) / Decimal(total)
        return limit is None or attainment < limit

    def employees(self) -> list[str]:
        return sorted({a["employee_id"] for a in self.assignments})


def _cap_attainment(plan: Row, tiers: list[tuple[float, float, float]]) -> Decimal | None:
    """The attainment where the commission (in target incentives) reaches the cap, a margin
    lower; None without a cap. Commission grows with attainment, so bisection finds it."""
    if not plan.get("cap_multiple"):
        return None
    cap = float(plan["cap_multiple"])
    retroactive = plan.get("tier_method") == "retroactive"

    def commission(a: float) -> float:
        if retroactive:
            return a * next((m for lo, hi, m in tiers if lo <= a < hi), 0.0)
        return sum(max(0.0, min(a, hi) - lo) * m for lo, hi, m in tiers)

    low, high = 0.0, 1000.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if commission(middle) < cap else (low, middle)
    return Decimal(str(round(low, 4))) * CAP_MARGIN


# ---------------------------------------------------------------- the choice


@dataclass
class Night:
    """What the changes of one night share while they are chosen."""

    out: LateChanges
    books: Books
    used: set[tuple[str, date]]  # (employee, quarter) already hit
    rng: random.Random
    ids: IdFactory
    eve: date
    extract: int  # the night's extract time


def choose(landing: Path, night: date, seed: int) -> LateChanges:
    """The three changes for ``night``; ``ValueError`` when the folder has no closed quarter
    or none where a change fits."""
    books = Books(landing)
    eve = night - _DAY
    quarters = books.closed_quarters(eve)
    if not quarters:
        raise ValueError(
            f"no quarter of sales_ops/comp_periods is closed by {eve}: nothing to adjust"
        )
    drop = Night(
        LateChanges(night),
        books,
        set(),
        stream(seed, f"next-night:{night.isoformat()}"),
        IdFactory(NIGHT_COUNTER_BASE + NIGHT_COUNTER_STEP * day_number(night)),
        eve,
        at(night, 2 * HOUR),
    )
    # Active, untagged reps in any closed quarter (latest first) before the others.
    for change, make in (
        (SPLIT_CHANGED, _split_change),
        (LATE_WON_DEAL, _late_deal),
        (QUOTA_CORRECTED, _quota_correction),
    ):
        if not any(
            make(drop, quarter, preferred) for preferred in (True, False) for quarter in quarters
        ):
            raise ValueError(f"no closed quarter of {landing} fits a {change} change")
    return drop.out


def _shuffled(rng: random.Random, items: list[str]) -> list[str]:
    items = sorted(items)
    rng.shuffle(items)
    return items


def _user(row: Row) -> User:
    """The generator's user, as far as the record writers read it (the id)."""
    return User(row["Id"], "", None, 0, None, None)


def _stamped(versions: list[Version], ts: int, extract: int) -> Row:
    """The record as the night's extract sends it, last modified at ``ts``."""
    (emission,) = route([*versions, (ts, {})], [extract])
    return emission.row


def _split_change(night: Night, quarter: date, preferred: bool) -> bool:
    out, books, used, rng = night.out, night.books, night.used, night.rng
    employees = books.employees()
    deals = [w.opportunity_id for w in books.won.values() if quarter_start(w.day) == quarter]
    for opp_id in _shuffled(rng, deals):
        opp, won = books.opps[opp_id], books.won[opp_id]
        owner = books.users.get(opp["OwnerId"], {}).get("EmployeeNumber", "")
        half = won.amount // 2
        if (
            won.lost_later
            or opp["IsWon"] != "true"
            or opp_id in books.split_owners
            or opp_id not in books.trails
            or opp.get("Demo_Case__c")
            or opp["OwnerId"] != opp.get("CreatedById", opp["OwnerId"])
            or half <= 0
            or (owner, quarter) in used
            or not books.fits(owner, quarter, preferred)
            or not books.below_cap(owner, quarter, extra=-half)
        ):
            continue
        partners = [
            e
            for e in employees
            if e != owner
            and (e, quarter) not in used
            and books.fits(e, quarter, preferred)
            and books.below_cap(e, quarter)
        ]
        if not partners:
            continue
        partner = _shuffled(rng, partners)[0]
        ts = at(night.eve, 13 * HOUR + rng.randint(0, 9 * HOUR))
        _write_split(out, books, opp, won, owner, partner, ts, night.ids, night.extract)
        used.update({(owner, quarter), (partner, quarter)})
        detail = f"{opp_id}: 100 % owner -> 50 % {owner} / 50 % {partner}"
        out.hits += [
            Hit(SPLIT_CHANGED, owner, quarter, -1, detail),
            Hit(SPLIT_CHANGED, partner, quarter, +1, detail),
        ]
        return True
    return False


def _write_split(
    out: LateChanges,
    books: Books,
    opp: Row,
    won: Won,
    owner: str,
    partner: str,
    ts: int,
    ids: IdFactory,
    extract: int,
) -> None:
    owner_user, partner_user = books.user_of[owner], books.user_of[partner]
    amount = _cents(opp["Amount"])
    record = Opp(
        id=opp["Id"],
        account=_account(opp["AccountId"], owner_user),
        owner=_user(owner_user),
        name=opp["Name"],
        kind=opp["Type"],
        lead_source=opp["LeadSource"],
        created=0,
        segment="",
        steps=[Step(ts, WON, amount, WON.probability, won.day)],
        splits=[
            Split(ids.new("OpportunitySplit"), _user(owner_user), 5_000, False),
            Split(ids.new("OpportunitySplit"), _user(partner_user), 5_000, False),
        ],
        split_created=ts,
    )
    split_type = books.split_types[0] if books.split_types else ids.new("OpportunitySplitType")
    out.salesforce.setdefault("OpportunitySplit", []).extend(
        _stamped(versions, ts, extract) for versions in split_versions(record, split_type)
    )
    # The tag: sales ops mark the deal when they fix its split.
    tagged = {k: v for k, v in opp.items() if k not in ("SystemModstamp", "LastModifiedDate")}
    out.salesforce.setdefault("Opportunity", []).append(
        _stamped([(ts, {**tagged, "Demo_Case__c": SPLIT_CHANGED})], ts, extract)
    )


def _account(account_id: str, owner: Row) -> Account:
    """The generator's account, as far as the record writers read it (the id)."""
    return Account(account_id, "", _user(owner), "", "", "", "", 0, 0)


def _workday(d: date) -> date:
    """``d``, or the Friday before when it falls on a weekend."""
    weekday = weekday_of(day_number(d))
    return d - (weekday - 4) * _DAY if weekday >= 5 else d


def _late_deal(night: Night, quarter: date, preferred: bool) -> bool:
    out, books, used, rng = night.out, night.books, night.used, night.rng
    last = _quarter_end(quarter)
    won_day = _workday(last - rng.randint(1, 10) * _DAY)
    created_day = _workday(won_day - rng.randint(25, 40) * _DAY)
    span = (won_day - created_day).days
    days = [created_day, *(_workday(created_day + span * k // 8 * _DAY) for k in (3, 6))]
    days.append(won_day)
    stamps = [at(d, 13 * HOUR + rng.randint(0, 9 * HOUR)) for d in days]
    for employee in _shuffled(rng, books.employees()):
        user = books.user_of.get(employee)
        if (
            user is None
            or (employee, quarter) in used
            or not books.fits(employee, quarter, preferred)
            or not books.below_cap(employee, quarter)
            or _day(user["CreatedDate"]) >= created_day
        ):
            continue
        # An account the rep had won a deal on before: an existing customer.
        accounts = sorted(
            {
                o["AccountId"]
                for o in books.opps.values()
                if o["OwnerId"] == user["Id"]
                and o["AccountId"] in books.accounts
                and o["Id"] in books.won
                and books.won[o["Id"]].day < created_day
            }
        )
        if not accounts:
            continue
        account = books.accounts[rng.choice(accounts)]
        quota = Decimal(books.quotas[(employee, quarter)])
        amount = max(100_000, round(quota * LATE_DEAL_SHARE / 10_000) * 10_000)
        stages = [BY_NAME[name] for name in _STAGES]
        steps = [
            Step(ts, stage, amount, stage.probability, won_day)
            for ts, stage in zip(stamps, stages, strict=True)
        ]
        year = created_day.year + (created_day.month >= 10)
        opp = Opp(
            id=night.ids.new("Opportunity"),
            account=_account(account["Id"], user),
            owner=_user(user),
            name=text.opportunity_name(rng, account["Name"], year),
            kind=EXISTING_BUSINESS,
            lead_source="Existing Customer",
            created=stamps[0],
            segment="",
            steps=steps,
            description=text.note(rng),
            case=LATE_WON_DEAL,
        )
        loaded = at(night.eve, 20 * HOUR + rng.randint(0, 3 * HOUR))
        out.salesforce.setdefault("Opportunity", []).append(
            _stamped(opp_versions(opp), loaded, night.extract)
        )
        edits = HistoryEdits(rng, (night.extract,), 0.0)  # a tagged deal's rows are never edited
        out.salesforce.setdefault("OpportunityHistory", []).extend(
            _stamped(versions, loaded, night.extract)
            for versions in history_versions(opp, night.ids, edits)
        )
        used.add((employee, quarter))
        detail = f"{opp.id}: won {won_day}, {money(amount)}"
        out.hits.append(Hit(LATE_WON_DEAL, employee, quarter, +1, detail))
        return True
    return False


def _quota_correction(night: Night, quarter: date, preferred: bool) -> bool:
    out, books, used, rng = night.out, night.books, night.used, night.rng
    for employee in _shuffled(rng, books.employees()):
        months = [
            m
            for m in (add_months(quarter, k) for k in (2, 1, 0))
            if books.month_quotas.get((employee, m), 0) > 0
        ]
        if (
            (employee, quarter) in used
            or not months
            or not books.fits(employee, quarter, preferred)
            or books.booked(employee, quarter) <= 0
        ):
            continue
        month = months[0]
        before = books.month_quotas[(employee, month)]
        after = round(Decimal(before) * QUOTA_CORRECTION / 10_000) * 10_000
        if after <= before or not books.below_cap(employee, quarter, quota=after - before):
            continue
        out.quotas.append(
            {"employee_id": employee, "month_start": sf_date(month), "quota_amount": money(after)}
        )
        used.add((employee, quarter))
        detail = f"{sf_date(month)}: {money(before)} -> {money(after)}"
        out.hits.append(Hit(QUOTA_CORRECTED, employee, quarter, -1, detail))
        return True
    return False
