"""Which opportunities exist: created by reps over time, converted from leads, and a fixed set
of scripted cases the downstream rules need (reopened, won twice, clawbacks, deletions...)."""

from __future__ import annotations

import random

from ingestion.demo import people as org
from ingestion.demo import text
from ingestion.demo.accounts import Account, AccountBook
from ingestion.demo.fmt import DAY, HOUR, to_date
from ingestion.demo.ids import IdFactory
from ingestion.demo.opportunities import Opp, Split, Step, initial_amount, scripted, simulate
from ingestion.demo.sales_ops import ACCELERATED, STANDARD, PlanBook
from ingestion.demo.timeline import Timeline, arrivals, work_ts
from ingestion.demo.users import Roster, User

# Opportunities a rep opens per calendar day (besides those converted from leads).
_DIRECT_RATE = {"ENT": 0.065, "MM": 0.1}
_WIN_RATE = {"ENT": 0.27, "MM": 0.33}
_SOURCES = ("Partner Referral", "Existing Customer", "Employee Referral", "Trade Show", "Other", "")
_SPLIT_SHARES = {
    2: ((6000, 4000), (5000, 5000), (7000, 3000)),
    3: ((5000, 3000, 2000), (4000, 3000, 3000), (3334, 3333, 3333)),
}
# Won, then lost this many days later, under this plan (clawback windows: STD 90, ACCEL 60).
_WON_THEN_LOST = (
    (30, STANDARD),
    (45, ACCELERATED),
    (60, ACCELERATED),
    (75, ACCELERATED),
    (75, STANDARD),
    (90, STANDARD),
    (91, STANDARD),
    (200, STANDARD),
)
Script = list[tuple[float, str, float]]


class OpportunityFactory:
    def __init__(
        self,
        rng: random.Random,
        ids: IdFactory,
        tl: Timeline,
        roster: Roster,
        book: AccountBook,
        plans: PlanBook,
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.tl = tl
        self.roster = roster
        self.book = book
        self.plans = plans
        self.opps: list[Opp] = []

    def create(
        self,
        *,
        ts: int,
        owner: User,
        account: Account,
        source: str,
        kind: str,
        start: int = 0,
        amount: int | None = None,
        steps: list[Step] | None = None,
    ) -> Opp:
        rng, segment = self.rng, account.segment
        if steps is None:
            skill = owner.person.skill if owner.person else 1.0
            win_rate = min(0.6, _WIN_RATE[segment] * skill)
            steps = simulate(rng, ts, segment, win_rate, start, self.tl.now, amount)
        created = to_date(ts)
        opp = Opp(
            id=self.ids.new("Opportunity"),
            account=account,
            owner=owner,
            name=text.opportunity_name(rng, account.name, created.year + (created.month >= 10)),
            kind=kind,
            lead_source=source,
            created=ts,
            segment=segment,
            steps=steps,
            description=text.note(rng),
        )
        self.opps.append(opp)
        return opp

    def from_lead(self, ts: int, owner: User, account: Account, source: str) -> Opp:
        rng = self.rng
        start = 1 if rng.random() < 0.6 else 0
        amount = initial_amount(rng, account.segment) if start else None
        opp = self.create(
            ts=ts,
            owner=owner,
            account=account,
            source=source,
            kind="New Business",
            start=start,
            amount=amount,
        )
        opp.from_lead = True
        return opp

    def direct(self) -> None:
        """Opportunities reps open on existing accounts, at a Poisson pace over their tenure."""
        tl = self.tl
        for user in self.roster.with_role(org.AE):
            assert user.person is not None and user.segment is not None
            rate = _DIRECT_RATE[user.segment] * user.person.skill
            last = min(user.deactivated or tl.now, tl.now)
            for ts in arrivals(self.rng, max(user.created, tl.start_ts), last, rate):
                self._direct(user, user.segment, ts)

    def _direct(self, owner: User, segment: str, ts: int) -> None:
        rng = self.rng
        account = self.book.any(segment)
        repeat = account.kind.startswith("Customer") and rng.random() < 0.7
        start = rng.choices((0, 1, 2), (70, 20, 10))[0]
        no_amount = start == 0 and rng.random() < 0.15  # amounts come with qualification
        self.create(
            ts=ts,
            owner=owner,
            account=account,
            source=rng.choice(_SOURCES),
            kind="Existing Business" if repeat else "New Business",
            start=start,
            amount=None if no_amount else initial_amount(rng, segment),
        )

    def scripted_cases(self) -> None:
        rng, now, (t0, t1, _) = self.rng, self.tl.now, self.tl.extracts
        self._script(
            "reopened_then_won",
            None,
            now - 300 * DAY,
            [
                (0, "Prospecting", 1),
                (9, "Qualification", 1),
                (21, "Needs Analysis", 1),
                (35, "Negotiation/Review", 1),
                (49, "Closed Lost", 1),
                (77, "Negotiation/Review", 0.9),
                (91, "Closed Won", 0.9),
            ],
        )
        self._script(
            "won_twice",
            None,
            now - 260 * DAY,
            [
                (0, "Qualification", 1),
                (14, "Proposal/Price Quote", 1),
                (30, "Negotiation/Review", 1),
                (41, "Closed Won", 1),
                (56, "Negotiation/Review", 1.2),
                (70, "Closed Won", 1.2),
            ],
        )
        for gap, plan in _WON_THEN_LOST:
            created = now - (40 + gap + rng.randint(15, 75)) * DAY
            self._script(
                f"won_then_lost_{gap}d_{plan}",
                plan,
                created,
                [
                    (0, "Qualification", 1),
                    (12, "Proposal/Price Quote", 1),
                    (25, "Negotiation/Review", 1),
                    (40, "Closed Won", 1),
                    (40 + gap, "Closed Lost", 1),
                ],
            )
        legacy = self._script(
            "won_without_history",
            None,
            now - 500 * DAY,
            [
                (0, "Negotiation/Review", 1),
                (15, "Closed Won", 1),
            ],
        )
        legacy.has_history = False
        self._script("created_closed_won", None, now - 150 * DAY, [(0, "Closed Won", 1)])
        deleted = self._script(
            "deleted_with_history_and_splits",
            None,
            now - 120 * DAY,
            [
                (0, "Qualification", 1),
                (20, "Negotiation/Review", 1),
                (35, "Closed Won", 1),
            ],
        )
        self.split(deleted, 2)
        deleted.deleted_at = rng.randint(t1 + HOUR, now - HOUR)
        gone = self._script(
            "deleted_before_full_export",
            None,
            now - 90 * DAY,
            [
                (0, "Prospecting", 1),
                (20, "Closed Lost", 1),
            ],
        )
        gone.deleted_at = gone.created + 30 * DAY
        self._script("created_after_full_export", None, t0 + DAY, [(0, "Prospecting", 1)])
        created = t0 - 20 * DAY
        self._script(
            "changed_in_every_extract",
            None,
            created,
            [
                (0, "Qualification", 1),
                ((t0 - created) / DAY + 1.1, "Needs Analysis", 1),
                ((t1 - created) / DAY + 1.2, "Proposal/Price Quote", 1.1),
            ],
        )

    def _script(self, case: str, plan: str | None, created: int, script: Script) -> Opp:
        rng = self.rng
        created = work_ts(rng, created // DAY)
        last = created + round(script[-1][0] * DAY)
        owner = self._owner_for(plan, created, last)
        assert owner.segment is not None
        account = self.book.any(owner.segment)
        steps = scripted(created, script, initial_amount(rng, owner.segment) // 100 * 100)
        opp = self.create(
            ts=created,
            owner=owner,
            account=account,
            source="Partner Referral",
            kind="New Business",
            steps=steps,
        )
        opp.case = case
        return opp

    def _owner_for(self, plan: str | None, first: int, last: int) -> User:
        """An AE active throughout, on exactly ``plan`` the whole time when one is asked for."""
        pool = [u for u in self.roster.with_role(org.AE) if u.active_between(first, last)]
        if plan is not None:
            reserved = self.plans.reserved  # never the ramp hire (see sales_ops.CommissionCases)
            pool = [u for u in pool if not (u.person and u.person.employee_id in reserved)]
            exact = [
                u
                for u in pool
                if u.person
                and self.plans.only_plan(u.person.employee_id, to_date(first), to_date(last))
                == plan
            ]
            pool = exact or pool
        return self.rng.choice(pool or self.roster.with_role(org.AE))

    def add_splits(self) -> None:
        for opp in self.opps:
            roll = self.rng.random()
            if opp.case or opp.splits or roll >= 0.12:
                continue
            self.split(opp, 3 if roll < 0.03 else 2)

    def split(self, opp: Opp, ways: int) -> None:
        rng = self.rng
        partners: list[User] = []
        for _ in range(ways - 1):
            roles = (org.AE, org.SE) if rng.random() < 0.25 else (org.AE,)
            taken = {opp.owner.id, *(u.id for u in partners)}
            pool = [u for u in self.roster.active(opp.created, *roles) if u.id not in taken]
            pool = pool or [
                u for u in self.roster.active(opp.created, org.SE, org.MANAGER) if u.id not in taken
            ]
            partners.append(rng.choice(pool))
        shares = rng.choice(_SPLIT_SHARES[ways])
        owners = [opp.owner, *partners]
        if rng.random() < 0.3:
            owners = owners[1:] + owners[:1]  # the owner holds the smaller share
        opp.splits = [
            Split(self.ids.new("OpportunitySplit"), user, share, user is opp.owner)
            for user, share in zip(owners, shares, strict=True)
        ]
        opp.split_created = opp.created + rng.randint(60, 2 * DAY)
        if ways == 2 and rng.random() < 0.25:
            changed = opp.split_created + rng.randint(5 * DAY, 40 * DAY)
            opp.split_change = (changed, (5000, 5000) if shares != (5000, 5000) else (6000, 4000))

    def reassign_departed(self) -> None:
        """Open opportunities of a rep who leaves go to a colleague (their split follows)."""
        rng, now = self.rng, self.tl.now
        for opp in self.opps:
            owner, closed = opp.owner, opp.closed_at
            while (
                owner.deactivated is not None
                and opp.created < owner.deactivated <= now
                and (closed is None or closed > owner.deactivated)
            ):
                ts = owner.deactivated + HOUR
                taken = (owner.id, *(s.owner.id for s in opp.splits))
                owner = self.roster.pick(rng, ts, org.AE, segment=opp.segment, exclude=taken)
                opp.owner_changes.append((ts, owner))

    def delete_some(self) -> None:
        """A few opportunities deleted by their reps (duplicates, test records)."""
        rng, now = self.rng, self.tl.now
        for opp in self.opps:
            if opp.case or opp.splits or opp.from_lead or rng.random() >= 0.004:
                continue
            last = max([opp.final.ts, *(ts for ts, _ in opp.owner_changes)]) + HOUR
            if last < now:
                opp.deleted_at = rng.randint(last, now)

    def mark_customers(self) -> None:
        for opp in self.opps:
            won = opp.first_won_at
            account = opp.account
            if won is not None and opp.deleted_at is None:
                account.first_won = (
                    won if account.first_won is None else min(won, account.first_won)
                )
