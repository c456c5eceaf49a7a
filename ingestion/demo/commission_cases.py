"""Deals and draws for the commission mechanics that need more than a plan: a clawback larger
than a quarter's commission (under a non-recoverable draw), a ramp hire's recoverable draw paid
in the hire quarter and earned back in the next, and SPIFF programs (a maximum that binds, a
deal in two programs). The reps are ``sales_ops.CommissionCases``.

The deals are made after every other opportunity, from a stream of their own, and carry a
``Demo_Case__c`` tag (forecast overrides and pipeline movements leave tagged deals alone), so
every other record stays as it was. Each case holds by construction, whatever the other deals:

* net clawback: a deal of 3 quarterly quotas earns at least 4.5 (AE-STD, marginal from 0) or
  5.4 (AE-RETRO, 1.8 above 130 %) target incentives; lost in the next quarter, its clawback
  exceeds what that quarter can earn (capped at 2.0 / 2.5 target incentives; no SPIFF window).
* ramp hire: the draw is above what the hire quarter could earn at most (the plan's tiers on
  every deal the hire has a part in, in full, capped, plus every SPIFF it could pay); the next
  quarter has a won deal of 1.2 quotas and no clawback (the hire owns no scripted one).
* SPIFFs: three expansion deals of the SPIFF rep in the expansion program (its maximum pays
  two), and a new-business deal above the big-deal minimum in the month both programs cover.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from ingestion.demo import text
from ingestion.demo.accounts import Account, AccountBook
from ingestion.demo.deals import OpportunityFactory
from ingestion.demo.fmt import HOUR, at, day_number, to_date
from ingestion.demo.opportunities import Opp, Step
from ingestion.demo.people import Person
from ingestion.demo.sales_ops import (
    BIG_DEAL_MIN,
    CAP_MULTIPLE,
    EXISTING_BUSINESS,
    NEW_BUSINESS,
    TIER_METHOD,
    TIERS,
    PlanBook,
    quarter_quota,
    spiffs,
)
from ingestion.demo.stages import BY_NAME
from ingestion.demo.timeline import Timeline, add_months, quarter_start, weekday_of
from ingestion.demo.users import Roster, User

NET_CLAWBACK = "won_big_then_lost_net_clawback"
DRAW_RECOVERED = "ramp_hire_big_quarter"
TWO_PROGRAMS = "spiff_two_programs"
OVER_MAXIMUM = "spiff_over_maximum"  # _1, _2, _3 in won order
_STAGES = ("Qualification", "Proposal/Price Quote", "Negotiation/Review")
_DAY = timedelta(days=1)


def add_deals(
    rng: random.Random, deals: OpportunityFactory, plans: PlanBook, tl: Timeline
) -> list[Opp]:
    """The scripted commission deals, appended to ``deals.opps``."""
    cases, roster, book = plans.cases, deals.roster, deals.book
    made: list[Opp] = []

    def deal(
        person: Person,
        case: str,
        kind: str,
        created: date,
        won: date,
        amount: int,
        lost: date | None = None,
    ) -> None:
        owner = roster.by_employee[person.employee_id]
        made.append(_deal(rng, deals, book, owner, case, kind, created, won, amount, lost))

    rep, lost_in = cases.net_clawback, cases.clawback_quarter
    quota = quarter_quota(rep, add_months(lost_in, -3), tl)
    deal(
        rep,
        NET_CLAWBACK,
        NEW_BUSINESS,
        lost_in - 62 * _DAY,
        lost_in - 20 * _DAY,
        _round_up(3 * quota, 100_000),
        lost=lost_in + 25 * _DAY,
    )
    hire, recovery = cases.ramp_hire, cases.recovery_quarter
    quota = quarter_quota(hire, recovery, tl)
    deal(
        hire,
        DRAW_RECOVERED,
        NEW_BUSINESS,
        recovery + 3 * _DAY,
        recovery + 45 * _DAY,
        _round_up(quota * 6 // 5, 100_000),
    )
    current = quarter_start(tl.as_of)
    first, second = add_months(current, -6), add_months(current, -3)
    won = add_months(first, 2) + 10 * _DAY
    amount = BIG_DEAL_MIN + rng.randint(10, 80) * 50_000
    deal(cases.spiff_rep, TWO_PROGRAMS, NEW_BUSINESS, won - 35 * _DAY, won, amount)
    for n, offset in enumerate((20, 38, 56), start=1):
        won = second + offset * _DAY
        amount = rng.randint(16, 70) * 50_000  # below the big-deal minimum
        deal(
            cases.spiff_rep, f"{OVER_MAXIMUM}_{n}", EXISTING_BUSINESS, won - 30 * _DAY, won, amount
        )
    return made


def _deal(
    rng: random.Random,
    deals: OpportunityFactory,
    book: AccountBook,
    owner: User,
    case: str,
    kind: str,
    created: date,
    won: date,
    amount: int,
    lost: date | None,
) -> Opp:
    days = [_workday(created)]
    span = (won - created).days
    days += [_workday(created + span * k // 8 * _DAY) for k in (3, 6)]
    days.append(_workday(won))
    names = [*_STAGES, "Closed Won"]
    if lost is not None:
        days.append(_workday(lost))
        names.append("Closed Lost")
    stamps = [at(d, 13 * HOUR + rng.randint(0, 9 * HOUR)) for d in days]
    assert stamps == sorted(stamps) and len(set(days)) == len(days), case
    assert owner.active_between(stamps[0], stamps[-1]), (case, owner.id)
    close = days[3]
    steps = []
    for ts, d, name in zip(stamps, days, names, strict=True):
        stage = BY_NAME[name]
        steps.append(Step(ts, stage, amount, stage.probability, d if stage.is_closed else close))
    account = _account(rng, book, owner, stamps[0])
    opp = Opp(
        id=deals.ids.new("Opportunity"),
        account=account,
        owner=owner,
        name=text.opportunity_name(rng, account.name, created.year + (created.month >= 10)),
        kind=kind,
        lead_source="Existing Customer" if kind == EXISTING_BUSINESS else "Partner Referral",
        created=stamps[0],
        segment=account.segment,
        steps=steps,
        description=text.note(rng),
        case=case,
    )
    won_at = stamps[3]
    account.first_won = won_at if account.first_won is None else min(won_at, account.first_won)
    deals.opps.append(opp)
    return opp


def _workday(d: date) -> date:
    """``d``, or the Friday before when it falls on a weekend (never into the next period)."""
    weekday = weekday_of(day_number(d))
    return d - (weekday - 4) * _DAY if weekday >= 5 else d


def _account(rng: random.Random, book: AccountBook, owner: User, created: int) -> Account:
    """An account of the owner's segment that was already a customer: the deal changes none."""
    assert owner.segment is not None
    accounts = book.existing[owner.segment]
    customers = [a for a in accounts if a.first_won is not None and a.first_won < created]
    return rng.choice(customers or accounts)


def _round_up(cents: int, step: int) -> int:
    return -(-cents // step) * step


# ---------------------------------------------------------------- draws


def set_draws(plans: PlanBook, opps: list[Opp], roster: Roster, tl: Timeline) -> None:
    """The ramp hire's recoverable draw (3/4 of the target incentive, or more when the hire
    quarter could earn that much) and the net-clawback rep's non-recoverable one (1/4)."""
    cases = plans.cases
    hire, quarter = cases.ramp_hire, cases.draw_quarter
    assignment = plans.applying(hire.employee_id, quarter)
    bound = earnings_bound(hire, quarter, assignment.plan_id, assignment.target, opps, roster, tl)
    draw = max(_round_up(assignment.target * 3 // 4, 10_000), _round_up(bound + 100_000, 100_000))
    plans.set_draw(hire.employee_id, quarter, draw, "recoverable")
    rep, quarter = cases.net_clawback, cases.clawback_quarter
    target = plans.applying(rep.employee_id, quarter).target
    plans.set_draw(rep.employee_id, quarter, _round_up(target // 4, 10_000), "non_recoverable")


def earnings_bound(
    person: Person,
    quarter: date,
    plan: str,
    target: int,
    opps: list[Opp],
    roster: Roster,
    tl: Timeline,
) -> int:
    """More than the rep can earn in the quarter (cents): the plan's commission on every won deal
    the rep ever had a part in (owner or split) with a won date in it, in full (a cent more per
    line for rounding), capped; plus every SPIFF line such a deal could pay. Commission grows
    with the bookings under either tier method, so more bookings bound it from above."""
    user = roster.by_employee.get(person.employee_id)
    last = add_months(quarter, 3) - _DAY
    credits = [] if user is None else [c for o in opps if (c := _credit(o, user)) is not None]
    mine = [amount for dates, amount in credits if any(quarter <= d <= last for d in dates)]
    quota = quarter_quota(person, quarter, tl)
    commission = 0
    if quota:
        commission = math.ceil(plan_commission(plan, sum(mine), quota, target)) + len(mine)
        cap = CAP_MULTIPLE[plan]
        if cap is not None:
            commission = min(commission, math.ceil(cap * target))
    bonus = 0
    for spiff in spiffs(tl):
        first, end = max(spiff.start, quarter), min(spiff.end, last)
        pay = spiff.amount_per_deal * sum(
            any(first <= d <= end for d in dates) for dates, _ in credits
        )
        bonus += pay if spiff.max_per_employee is None else min(pay, spiff.max_per_employee)
    return commission + bonus


def plan_commission(plan: str, booked: int, quota: int, target: int) -> float:
    """A quarter's commission (cents, before the cap) on ``booked`` under the plan's tiers."""
    rate, attainment = target / quota, booked / quota
    tiers = [(float(lo), float(hi) if hi else math.inf, float(m)) for lo, hi, m in TIERS[plan]]
    if TIER_METHOD[plan] == "retroactive":
        multiplier = next((m for lo, hi, m in tiers if lo <= attainment < hi), 0.0)
        return booked * rate * multiplier
    return sum(max(0.0, min(attainment, hi) - lo) * quota * rate * m for lo, hi, m in tiers)


def _credit(opp: Opp, user: User) -> tuple[set[date], int] | None:
    """(possible won dates, largest amount) of a live won deal the user had a part in."""
    involved = {opp.owner.id, *(u.id for _, u in opp.owner_changes)}
    involved |= {s.owner.id for s in opp.splits}
    won = [s for s in opp.steps if s.stage.is_won]
    if opp.deleted_at is not None or not won or user.id not in involved:
        return None
    dates = {to_date(s.ts) for s in won} | {opp.final.close_date}
    return dates, max(s.amount or 0 for s in opp.steps)
