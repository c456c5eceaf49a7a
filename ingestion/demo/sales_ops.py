"""Sales operations' spreadsheets: comp plans and tiers, plan assignments, monthly quotas,
SPIFF programs, plan scenarios and the period-close calendar."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ingestion.demo import people as org
from ingestion.demo.fmt import money, sf_date
from ingestion.demo.people import Person
from ingestion.demo.timeline import Timeline, add_months, month_start, quarter_start
from ingestion.demo.versions import Row

STANDARD, ACCELERATED, RETROACTIVE = "AE-STD", "AE-ACCEL", "AE-RETRO"
# tier_method: AE-STD writes `marginal`, AE-ACCEL leaves it empty (the same: marginal), AE-RETRO
# pays every line of a quarter at the multiplier of the tier its final attainment lands in.
PLANS: tuple[Row, ...] = (
    {
        "plan_id": STANDARD,
        "plan_name": "Account Executive, Standard",
        "cap_multiple": "2.0",
        "clawback_days": "90",
        "tier_method": "marginal",
    },
    {
        "plan_id": ACCELERATED,
        "plan_name": 'Account Executive "Accelerated"',
        "cap_multiple": "",
        "clawback_days": "60",
        "tier_method": "",
    },
    {
        "plan_id": RETROACTIVE,
        "plan_name": "Account Executive, Retroactive",
        "cap_multiple": "2.5",
        "clawback_days": "120",
        "tier_method": "retroactive",
    },
)
CAP_MULTIPLE: dict[str, float | None] = {
    p["plan_id"]: float(p["cap_multiple"]) if p["cap_multiple"] else None for p in PLANS
}
TIER_METHOD: dict[str, str] = {p["plan_id"]: p["tier_method"] or "marginal" for p in PLANS}
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
    RETROACTIVE: (
        ("0.0", "0.5", "0.4"),
        ("0.5", "0.8", "0.8"),
        ("0.8", "1.0", "1.0"),
        ("1.0", "1.3", "1.4"),
        ("1.3", "", "1.8"),
    ),
}
# Share of the reps after the first two (besides one chosen rep) put on the retroactive plan,
# drawn from a stream of its own.
RETRO_SHARE = 0.15
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
    draw: int = 0  # cents per quarter; 0 = no draw
    draw_type: str = ""

    def covers(self, first: date, last: date) -> bool:
        return self.start <= first and (self.end is None or self.end >= last)

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


@dataclass(frozen=True)
class CommissionCases:
    """The reps who carry the commission cases that need more than a plan: the CRM generator
    scripts their deals (``commission_cases``), and their assignments carry the draws."""

    # Recoverable draw on the first assignment (the hire quarter, ``draw_quarter``), none on the
    # second one from the next quarter, where a large deal earns the balance back.
    ramp_hire: Person
    draw_quarter: date
    # Non-recoverable draw from ``clawback_quarter`` on (an assignment of its own); a deal of 3
    # quarterly quotas won late in the quarter before is lost in it, so the clawback exceeds
    # the capped commission.
    net_clawback: Person
    clawback_quarter: date
    # New business in two SPIFF programs, and more expansion deals than one program's maximum.
    spiff_rep: Person
    # The first rep on the retroactive plan (more are drawn).
    retro_rep: Person

    @property
    def recovery_quarter(self) -> date:
        return add_months(self.draw_quarter, 3)


class PlanBook:
    """Who is on which plan when; the CRM generator uses it to place clawback cases."""

    def __init__(self, assignments: list[Assignment], cases: CommissionCases) -> None:
        self.assignments = assignments
        self.cases = cases

    @property
    def reserved(self) -> frozenset[str]:
        """Employees who must not own a scripted clawback case: the ramp hire's recovery quarter
        must earn more than nothing."""
        return frozenset({self.cases.ramp_hire.employee_id})

    def only_plan(self, employee_id: str, first: date, last: date) -> str | None:
        """The plan covering the whole period, if the employee never changes plan (assignments
        of one plan, split only where a draw starts or ends, count as one)."""
        mine = [a for a in self.assignments if a.employee_id == employee_id]
        plans = {a.plan_id for a in mine}
        whole = Assignment(employee_id, "", mine[0].start, mine[-1].end, 0) if mine else None
        if len(plans) == 1 and whole is not None and whole.covers(first, last):
            return plans.pop()
        return None

    def applying(self, employee_id: str, quarter: date) -> Assignment:
        """The assignment that applies to a quarter: in effect on its last day, else the latest
        start overlapping it (the mart contract's rule)."""
        last = add_months(quarter, 3) - timedelta(days=1)
        mine = [a for a in self.assignments if a.employee_id == employee_id]
        on_last = [a for a in mine if a.covers(last, last)]
        if on_last:
            return on_last[0]
        return max((a for a in mine if a.overlaps(quarter, last)), key=lambda a: a.start)

    def set_draw(self, employee_id: str, quarter: date, cents: int, draw_type: str) -> None:
        """A draw on the assignment that applies to ``quarter``."""
        target = self.applying(employee_id, quarter)
        i = self.assignments.index(target)
        self.assignments[i] = replace(target, draw=cents, draw_type=draw_type)


def quota_carriers(workforce: list[Person], tl: Timeline) -> list[Person]:
    return [p for p in workforce if p.role == org.AE and p.hire_date <= tl.as_of]


def build_plans(
    rng: random.Random, workforce: list[Person], tl: Timeline, retro_rng: random.Random
) -> PlanBook:
    """Plans per rep. ``rng`` draws what it always drew (changers, then STD/ACCEL per rep);
    ``retro_rng`` who else goes on the retroactive plan."""
    carriers = quota_carriers(workforce, tl)
    changers = _plan_changers(rng, carriers, tl)
    # The first reps take one plan each, so every plan always has someone on it.
    drawn = [
        (STANDARD, ACCELERATED)[i] if i < 2 else rng.choice((STANDARD, STANDARD, ACCELERATED))
        for i in range(len(carriers))
    ]
    cases = choose_cases(carriers, changers, drawn, tl)
    assignments: list[Assignment] = []
    for i, person in enumerate(carriers):
        plan = drawn[i]
        if i >= 2:
            roll = retro_rng.random()  # drawn for every rep, so the stream never shifts
            if person is cases.retro_rep or roll < RETRO_SHARE:
                plan = RETROACTIVE
        if person in (cases.ramp_hire, cases.net_clawback) and plan == ACCELERATED:
            plan = STANDARD  # their cases need a cap
        mine = _assignments(person, plan, changers.get(person.employee_id))
        # The draws (set once the deals are known) go on assignments of their own: the ramp
        # hire's hire quarter, the net-clawback rep's clawback quarter on.
        if person is cases.ramp_hire:
            mine = _split(mine, cases.recovery_quarter)
        if person is cases.net_clawback:
            mine = _split(mine, cases.clawback_quarter)
        assignments += mine
    return PlanBook(assignments, cases)


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


def _split(assignments: list[Assignment], at: date) -> list[Assignment]:
    """The assignment running on ``at`` in two: up to the day before, and from ``at`` on."""
    out: list[Assignment] = []
    for a in assignments:
        if a.start < at and a.covers(at, at):
            out += [replace(a, end=at - timedelta(days=1)), replace(a, start=at)]
        else:
            out.append(a)
    return out


def choose_cases(
    carriers: list[Person], changers: dict[str, date], drawn: list[str], tl: Timeline
) -> CommissionCases:
    """Deterministic picks (no random draws), each among the reps whose tenure fits the case;
    never the rep with a quarter without quota, nor one of the first two reps whose plan has no
    cap (the first two keep their plans)."""
    current = quarter_start(tl.as_of)
    gap_owner, _ = _quarter_without_quota(carriers, tl)
    usable = [
        p
        for i, p in enumerate(carriers)
        if (i >= 2 or drawn[i] != ACCELERATED) and p is not gap_owner
    ]
    index = {p.employee_id: i for i, p in enumerate(carriers)}

    def first_quarter_fits(p: Person) -> bool:
        after = add_months(quarter_start(p.hire_date), 6)  # hire quarter and the next one
        return (
            p.hire_date >= tl.start
            and after <= current
            and p.employed_on(after - timedelta(days=1))
            and p.employee_id not in changers
        )

    # A ramping new hire: employed now, in HRIS, with a quota in the hire quarter (hired by the
    # 15th of its first or second month) and hired last come first.
    hires = [p for p in usable if first_quarter_fits(p)]
    ramp_hire = min(
        hires,
        key=lambda p: (
            not p.employed_on(tl.as_of),
            not p.in_hris,
            quarter_quota(p, quarter_start(p.hire_date), tl) == 0,
            -p.hire_date.toordinal(),
        ),
    )
    lost_in = add_months(current, -9)
    won_in = add_months(lost_in, -3)
    tenured = [
        p
        for p in usable
        if p is not ramp_hire
        and p.hire_date < won_in
        and p.employed_on(add_months(lost_in, 3) - timedelta(days=1))
    ]
    net_clawback = min(
        tenured,
        key=lambda p: (
            p.employee_id in changers,
            not p.in_hris,
            not p.employed_on(tl.as_of),
            drawn[index[p.employee_id]] == ACCELERATED,  # overridden to STD: avoid if we can
            index[p.employee_id],
        ),
    )
    taken = (ramp_hire, net_clawback)
    # On the plan from before the SPIFF quarters to now, if anyone after the first two is.
    retro_rep = min(
        carriers[2:],
        key=lambda p: (
            not _spiff_fits(p, tl),
            p.employee_id in changers,
            not p.employed_on(tl.as_of),
            p in taken,
            index[p.employee_id],
        ),
    )
    spiff_reps = [p for p in usable if _spiff_fits(p, tl)]
    spiff_rep = min(
        spiff_reps,
        key=lambda p: (p is not retro_rep, p in taken, index[p.employee_id]),
    )
    return CommissionCases(
        ramp_hire, quarter_start(ramp_hire.hire_date), net_clawback, lost_in, spiff_rep, retro_rep
    )


def _spiff_fits(p: Person, tl: Timeline) -> bool:
    """Employed from before the first SPIFF quarter to the end of the last one."""
    current = quarter_start(tl.as_of)
    return p.hire_date < add_months(current, -6) and p.employed_on(current - timedelta(days=1))


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
            "quarterly_draw_amount": money(a.draw) if a.draw else "",
            "draw_type": a.draw_type,
        }
        for a in book.assignments
    ]


def tier_rows() -> list[Row]:
    return [
        {"plan_id": plan, "floor_attainment": lo, "ceiling_attainment": hi, "rate_multiplier": m}
        for plan, tiers in TIERS.items()
        for lo, hi, m in tiers
    ]


# ---------------------------------------------------------------- SPIFF programs


@dataclass(frozen=True)
class Spiff:
    spiff_id: str
    name: str
    start: date
    end: date
    opportunity_type: str  # "" = any
    min_amount: int | None  # cents
    amount_per_deal: int  # cents
    max_per_employee: int | None  # cents

    def row(self) -> Row:
        return {
            "spiff_id": self.spiff_id,
            "spiff_name": self.name,
            "start_date": sf_date(self.start),
            "end_date": sf_date(self.end),
            "opportunity_type": self.opportunity_type,
            "min_amount": money(self.min_amount),
            "amount_per_deal": money(self.amount_per_deal),
            "max_payout_per_employee": money(self.max_per_employee),
        }


NEW_BUSINESS, EXISTING_BUSINESS = "New Business", "Existing Business"  # Opportunity.Type
BIG_DEAL_MIN = 5_000_000  # cents


def spiffs(tl: Timeline) -> list[Spiff]:
    """Three programs in the two quarters before as_of's: new business all of the first, big
    deals from its last month to the end of the next quarter's first month (overlapping both
    others), expansion deals all of the second, up to a maximum per employee."""
    current = quarter_start(tl.as_of)
    first, second = add_months(current, -6), add_months(current, -3)
    day = timedelta(days=1)
    return [
        Spiff(
            f"SPF-{_label(first)}-NB",
            f"New business sprint {_label(first)}",
            first,
            second - day,
            NEW_BUSINESS,
            None,
            50_000,
            None,
        ),
        Spiff(
            f"SPF-{_label(first)}-BIG",
            "Big deal bonus",
            add_months(first, 2),
            add_months(second, 1) - day,
            "",
            BIG_DEAL_MIN,
            150_000,
            None,
        ),
        Spiff(
            f"SPF-{_label(second)}-EXP",
            f"Expansion blitz {_label(second)}",
            second,
            current - day,
            EXISTING_BUSINESS,
            None,
            75_000,
            150_000,
        ),
    ]


def _label(quarter: date) -> str:
    return f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}"


def spiff_rows(tl: Timeline) -> list[Row]:
    return [s.row() for s in spiffs(tl)]


# ---------------------------------------------------------------- period close

# A quarter is paid and closed this many days after its last day.
CLOSE_LAG_DAYS = 15


def comp_periods(tl: Timeline) -> list[tuple[date, date]]:
    """(quarter_start, close_date) of every fiscal quarter (calendar quarters) from the window's
    first one to the last that ended before as_of: closed ``CLOSE_LAG_DAYS`` after its last day.
    The close date is written as it is, so the most recent quarter's may still lie after as_of
    (as_of less than 15 days into its quarter): that quarter becomes closable on that date."""
    current = quarter_start(tl.as_of)
    out = []
    quarter = quarter_start(tl.start)
    while quarter < current:
        following = add_months(quarter, 3)
        out.append((quarter, following + timedelta(days=CLOSE_LAG_DAYS - 1)))
        quarter = following
    return out


def comp_period_rows(tl: Timeline) -> list[Row]:
    return [
        {"quarter_start": sf_date(quarter), "close_date": sf_date(close)}
        for quarter, close in comp_periods(tl)
    ]


# ---------------------------------------------------------------- plan scenarios

# One scenario with its own tiers for AE-STD (richer accelerators, a higher cap); one that only
# changes AE-ACCEL's terms (a cap, a shorter clawback, retroactive) and keeps its tiers.
SCENARIOS: tuple[Row, ...] = (
    {
        "scenario_id": "SCN-STD-RICHER",
        "scenario_name": "AE-STD with richer accelerators",
        "plan_id": STANDARD,
        "cap_multiple": "2.5",
        "clawback_days": "90",
        "tier_method": "marginal",
    },
    {
        "scenario_id": "SCN-ACCEL-CAPPED",
        "scenario_name": "AE-ACCEL capped at 3x, retroactive, 45-day clawback",
        "plan_id": ACCELERATED,
        "cap_multiple": "3.0",
        "clawback_days": "45",
        "tier_method": "retroactive",
    },
)
SCENARIO_TIERS: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("SCN-STD-RICHER", STANDARD): (
        ("0.0", "0.5", "0.5"),
        ("0.5", "1.0", "1.0"),
        ("1.0", "1.25", "1.75"),
        ("1.25", "1.5", "2.25"),
        ("1.5", "", "3.0"),
    ),
}


def scenario_tier_rows() -> list[Row]:
    return [
        {
            "scenario_id": scenario,
            "plan_id": plan,
            "floor_attainment": lo,
            "ceiling_attainment": hi,
            "rate_multiplier": m,
        }
        for (scenario, plan), tiers in SCENARIO_TIERS.items()
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


def quarter_quota(person: Person, quarter: date, tl: Timeline) -> int:
    """The rep's quota for a quarter in cents, as the quota files have it (not for the rep with
    a quarter without quota, nor for the revised current quarter)."""
    last = add_months(quarter, 2)
    return sum(c for m, c in _monthly_quotas(person, tl.start, last) if m >= quarter)
