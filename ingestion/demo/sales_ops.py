"""Sales operations' spreadsheets: comp plans and tiers, plan assignments, monthly quotas."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ingestion.demo import people as org
from ingestion.demo.fmt import money, sf_date
from ingestion.demo.people import Person
from ingestion.demo.timeline import Timeline, add_months, month_start, quarter_start
from ingestion.demo.versions import Row

STANDARD, ACCELERATED = "AE-STD", "AE-ACCEL"
PLANS: tuple[Row, ...] = (
    {
        "plan_id": STANDARD,
        "plan_name": "Account Executive, Standard",
        "cap_multiple": "2.0",
        "clawback_days": "90",
    },
    {
        "plan_id": ACCELERATED,
        "plan_name": 'Account Executive "Accelerated"',
        "cap_multiple": "",
        "clawback_days": "60",
    },
)
# (floor, ceiling, multiplier): contiguous, a decelerator below 50 %, accelerators above 100 %.
TIERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    STANDARD: (
        ("0.0", "0.5", "0.5"),
        ("0.5", "1.0", "1.0"),
        ("1.0", "1.5", "1.5"),
        ("1.5", "", "2.0"),
    ),
    ACCELERATED: (
        ("0.0", "0.5", "0.6"),
        ("0.5", "1.0", "1.0"),
        ("1.0", "1.25", "1.75"),
        ("1.25", "", "2.5"),
    ),
}
# Monthly quota and quarterly target incentive per segment, in cents.
MONTHLY_QUOTA = {"ENT": 3_300_000, "MM": 1_350_000}
TARGET_INCENTIVE = {"ENT": 1_800_000, "MM": 900_000}
RAMP = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Assignment:
    employee_id: str
    plan_id: str
    start: date
    end: date | None
    target: int  # cents per quarter

    def covers(self, first: date, last: date) -> bool:
        return self.start <= first and (self.end is None or self.end >= last)


class PlanBook:
    """Who is on which plan when; the CRM generator uses it to place clawback cases."""

    def __init__(self, assignments: list[Assignment]) -> None:
        self.assignments = assignments

    def only_plan(self, employee_id: str, first: date, last: date) -> str | None:
        """The plan covering the whole period, if the employee has no change inside it."""
        mine = [a for a in self.assignments if a.employee_id == employee_id]
        if len(mine) == 1 and mine[0].covers(first, last):
            return mine[0].plan_id
        return None


def quota_carriers(workforce: list[Person], tl: Timeline) -> list[Person]:
    return [p for p in workforce if p.role == org.AE and p.hire_date <= tl.as_of]


def build_plans(rng: random.Random, workforce: list[Person], tl: Timeline) -> PlanBook:
    carriers = quota_carriers(workforce, tl)
    changers = _plan_changers(rng, carriers, tl)
    assignments: list[Assignment] = []
    for i, person in enumerate(carriers):
        # The first two reps take one plan each, so both plans always have someone on them.
        plan = (
            (STANDARD, ACCELERATED)[i] if i < 2 else rng.choice((STANDARD, STANDARD, ACCELERATED))
        )
        assignments += _assignments(person, plan, changers.get(person.employee_id))
    return PlanBook(assignments)


def _assignments(person: Person, plan: str, change: date | None) -> list[Assignment]:
    assert person.segment is not None
    target = TARGET_INCENTIVE[person.segment]
    employee, end = person.employee_id, person.termination_date
    if change is None:
        return [Assignment(employee, plan, person.hire_date, end, target)]
    other = ACCELERATED if plan == STANDARD else STANDARD
    return [
        Assignment(employee, plan, person.hire_date, change - timedelta(days=1), target),
        Assignment(employee, other, change, end, target + target // 10),
    ]


def _plan_changers(rng: random.Random, carriers: list[Person], tl: Timeline) -> dict[str, date]:
    """Some reps move to the other plan on the 15th of a quarter's middle month."""
    quarter = add_months(quarter_start(tl.as_of), -6)
    change = add_months(quarter, 1) + timedelta(days=14)
    eligible = [
        p
        for p in carriers[2:]
        if p.employed_on(change - timedelta(days=120)) and p.employed_on(tl.as_of) and p.in_hris
    ] or [p for p in carriers if p.employed_on(change - timedelta(days=1)) and p.in_hris]
    if not eligible:
        return {}
    count = min(len(eligible), max(1, round(len(carriers) * 0.15)))
    chosen = [eligible[0], *rng.sample(eligible[1:], count - 1)]
    return {p.employee_id: change for p in chosen}


def assignment_rows(book: PlanBook) -> list[Row]:
    return [
        {
            "employee_id": a.employee_id,
            "plan_id": a.plan_id,
            "effective_start": sf_date(a.start),
            "effective_end": sf_date(a.end),
            "quarterly_target_incentive": money(a.target),
        }
        for a in book.assignments
    ]


def tier_rows() -> list[Row]:
    return [
        {"plan_id": plan, "floor_attainment": lo, "ceiling_attainment": hi, "rate_multiplier": m}
        for plan, tiers in TIERS.items()
        for lo, hi, m in tiers
    ]


@dataclass(frozen=True)
class QuotaPlan:
    """All quota rows, split the way sales ops published them: the plan, then a revision."""

    initial: list[Row]
    revision: list[Row]


def build_quotas(rng: random.Random, workforce: list[Person], tl: Timeline) -> QuotaPlan:
    last_month = add_months(quarter_start(tl.as_of), 2)
    published = tl.as_of - timedelta(days=60)
    carriers = quota_carriers(workforce, tl)
    gap_owner, gap = _quarter_without_quota(carriers, tl)
    revised = next(
        (p for p in reversed(carriers) if p.employed_on(tl.as_of) and p.hire_date < published),
        carriers[-1],
    )
    initial: list[Row] = []
    revision: list[Row] = []
    for person in carriers:
        for month, cents in _monthly_quotas(person, tl.start, last_month):
            if person is gap_owner and quarter_start(month) == gap:
                continue
            row = {
                "employee_id": person.employee_id,
                "month_start": sf_date(month),
                "quota_amount": money(cents),
            }
            late_hire = person.hire_date > published
            if person is revised and quarter_start(month) == quarter_start(tl.as_of):
                initial.append(row)
                revision.append({**row, "quota_amount": money(cents * 8 // 10)})
            else:
                (revision if late_hire else initial).append(row)
    rng.shuffle(revision)
    return QuotaPlan(initial, revision)


def _quarter_without_quota(carriers: list[Person], tl: Timeline) -> tuple[Person, date]:
    """A rep with quotas before and after one quarter that has none (a spreadsheet gap)."""
    for offset in (-6, -9, -3, -12, -15, -18):
        gap = add_months(quarter_start(tl.as_of), offset)
        for person in carriers:
            if person.hire_date < add_months(gap, -2) and person.employed_on(add_months(gap, 3)):
                return person, gap
    return carriers[0], add_months(quarter_start(tl.as_of), -6)


def _monthly_quotas(person: Person, first: date, last: date) -> list[tuple[date, int]]:
    assert person.segment is not None
    base = MONTHLY_QUOTA[person.segment]
    start = month_start(person.hire_date)
    if person.hire_date.day > 15:
        start = add_months(start, 1)
    out = []
    month = max(start, month_start(first))
    while month <= last:
        if person.termination_date is not None and month > person.termination_date:
            break
        tenure = (month.year - start.year) * 12 + month.month - start.month
        ramp = RAMP[tenure] if tenure < len(RAMP) else 1.0
        uplift = 110 if month.year > first.year else 100
        out.append((month, round(base * ramp * uplift / 100 / 10_000) * 10_000))
        month = add_months(month, 1)
    return out
