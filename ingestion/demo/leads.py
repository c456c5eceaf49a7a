"""Leads, the follow-up activity each one gets (as planned touches), and their conversion."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ingestion.demo import people as org
from ingestion.demo import text
from ingestion.demo.accounts import Account, AccountBook
from ingestion.demo.deals import OpportunityFactory
from ingestion.demo.fmt import DAY, HOUR, MINUTE, millis, sf_bool, sf_date, sf_datetime, to_date
from ingestion.demo.ids import IdFactory
from ingestion.demo.opportunities import Opp
from ingestion.demo.timeline import Timeline, arrivals, work_ts, work_ts_after
from ingestion.demo.users import Roster, User
from ingestion.demo.versions import Row, Version

LEAD_EXTRAS = (
    ("FirstName", "OwnerId"),
    ("LastName", "FirstName"),
    ("Company", "LastName"),
    ("Email", "Company"),
    ("Title", "Email"),
    ("Rating", "Status"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
OPEN, WORKING = "Open - Not Contacted", "Working - Contacted"
CONVERTED, NOT_CONVERTED = "Closed - Converted", "Closed - Not Converted"
_SOURCES = (
    "Web",
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Trade Show",
    "Webinar",
    "Other",
    "",
)
_TITLES = ("VP Sales", "Head of Operations", "CFO", "Director, IT", "Procurement Manager", "")
# Leads a user receives per calendar day.
_LEAD_RATE = {org.SDR: 0.5, org.AE: 0.05}
_NO_FOLLOW_UP = 0.08
FOLLOW_UP_WITHIN_A_SECOND = "follow_up_within_a_second"


@dataclass(frozen=True)
class Touch:
    """One planned follow-up. ``kind``: Call / Email / Task (logged when done), ``scheduled``
    (a task created with the lead, completed at ``ts``), ``meeting`` (a call that books a
    meeting), ``open`` (a task never completed), ``before`` (an e-mail logged before the lead
    existed), ``future_meeting`` (a meeting booked at ``ts`` for after now)."""

    ts: int
    user: User
    kind: str


@dataclass
class Lead:
    id: str
    owner: User
    created: int
    source: str
    first_name: str
    last_name: str
    company: str
    title: str
    statuses: list[tuple[int, str]]
    touches: list[Touch] = field(default_factory=list)
    converted_at: int | None = None
    opportunity: Opp | None = None
    account: Account | None = None
    deleted_at: int | None = None
    case: str = ""


def _first_delay(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.25:
        return rng.randint(2 * MINUTE, HOUR)
    if roll < 0.6:
        return rng.randint(HOUR, 8 * HOUR)
    if roll < 0.85:
        return rng.randint(8 * HOUR, 72 * HOUR)
    return rng.randint(3 * DAY, 20 * DAY)


class LeadFactory:
    def __init__(
        self,
        rng: random.Random,
        ids: IdFactory,
        tl: Timeline,
        roster: Roster,
        book: AccountBook,
        deals: OpportunityFactory,
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.tl = tl
        self.roster = roster
        self.book = book
        self.deals = deals
        self.leads: list[Lead] = []

    def build(self) -> list[Lead]:
        tl = self.tl
        for user in self.roster.with_role(org.SDR, org.AE):
            last = min(user.deactivated or tl.now, tl.now)
            first = max(user.created, tl.start_ts)
            # Web forms arrive at any hour; most leads are still created during the day.
            for ts in arrivals(self.rng, first, last, _LEAD_RATE[user.role], office_share=0.75):
                self._follow_up(self._new(user, ts))
        self._special_cases()
        self._follow_up_within_a_second()
        return self.leads

    def _new(self, owner: User, created: int, case: str = "") -> Lead:
        rng = self.rng
        first, last = text.person_name(rng)
        lead = Lead(
            id=self.ids.new("Lead"),
            owner=owner,
            created=created,
            source=rng.choice(_SOURCES),
            first_name=first,
            last_name=last,
            company=text.company_name(rng),
            title=rng.choice(_TITLES),
            statuses=[(created, OPEN)],
            case=case,
        )
        self.leads.append(lead)
        return lead

    def _worker(self, lead: Lead, ts: int) -> User:
        """Usually the owner; someone else when the owner is gone or a colleague jumps in."""
        if lead.owner.active_at(ts) and self.rng.random() < 0.9:
            return lead.owner
        return self.roster.pick(self.rng, ts, org.SDR, org.AE, exclude=(lead.owner.id,))

    def _follow_up(self, lead: Lead) -> None:
        rng = self.rng
        if rng.random() < _NO_FOLLOW_UP:
            lead.case = "never_followed_up"
            if rng.random() < 0.5:
                lead.statuses.append((lead.created + rng.randint(30, 120) * DAY, NOT_CONVERTED))
            self._maybe_delete(lead)
            return
        t = lead.created + _first_delay(rng)
        first = self._worker(lead, t)
        if first is not lead.owner:
            lead.case = "first_follow_up_by_other_user"
        scheduled = first is lead.owner and rng.random() < 0.15
        lead.touches.append(
            Touch(t, first, "scheduled" if scheduled else rng.choice(("Call", "Call", "Email")))
        )
        lead.statuses.append((t, WORKING))
        for _ in range(min(6, int(rng.expovariate(0.5)))):
            t = work_ts_after(rng, t, 1, 6)
            kind = rng.choices(("Call", "Email", "Task", "meeting"), (45, 40, 5, 10))[0]
            lead.touches.append(Touch(t, self._worker(lead, t), kind))
        outcome = work_ts_after(rng, t, 1, 10)
        roll = rng.random()
        if roll < 0.22:
            self._convert(lead, outcome, with_opportunity=rng.random() < 0.9)
        elif roll < 0.72:
            lead.statuses.append((outcome, NOT_CONVERTED))
            self._maybe_delete(lead)

    def _maybe_delete(self, lead: Lead) -> None:
        if self.rng.random() < 0.006:
            lead.deleted_at = lead.statuses[-1][0] + self.rng.randint(HOUR, 20 * DAY)

    def _convert(self, lead: Lead, ts: int, with_opportunity: bool) -> None:
        if ts > self.tl.now:
            return
        rng = self.rng
        owner = lead.owner
        if owner.role != org.AE or not owner.active_at(ts):
            owner = self.roster.pick(
                rng, ts, org.AE, segment="ENT" if rng.random() < 0.35 else "MM"
            )
        segment = owner.segment or "MM"
        account = self.book.create(ts, segment, name=lead.company, kind="Prospect", owner=owner)
        lead.account = account
        lead.converted_at = ts
        lead.statuses.append((ts, CONVERTED))
        if with_opportunity:
            lead.opportunity = self.deals.from_lead(ts, owner, account, lead.source)
        else:
            lead.case = "converted_without_opportunity"

    def _special_cases(self) -> None:
        rng, now = self.rng, self.tl.now
        for days_ago in (40, 200):
            created = work_ts(rng, (now - days_ago * DAY) // DAY)
            sdr = self.roster.pick(rng, created - 2 * DAY, org.SDR)
            lead = self._new(sdr, created)
            self._follow_up(lead)
            lead.case, lead.deleted_at = "activity_before_creation", None
            lead.touches.insert(0, Touch(created - 2 * DAY - 10 * MINUTE, sdr, "before"))
        sdr = self.roster.pick(rng, now - 30 * DAY, org.SDR)
        spam = self._new(sdr, now - 30 * DAY, "deleted_after_full_export")
        spam.deleted_at = now - DAY
        lead = self._new(sdr, now - 20 * DAY, "only_open_task")
        lead.touches.append(Touch(lead.created + HOUR, sdr, "open"))
        lead = self._new(sdr, now - 2 * DAY, "only_future_meeting")
        lead.touches.append(Touch(now - DAY, sdr, "future_meeting"))
        other = self.roster.pick(rng, now - 30 * DAY, org.AE)
        lead = self._new(sdr, now - 30 * DAY, "first_follow_up_by_other_user")
        lead.touches.append(Touch(lead.created + 3 * HOUR, other, "Call"))
        lead.statuses.append((lead.created + 3 * HOUR, WORKING))

    def _follow_up_within_a_second(self) -> None:
        """One lead called back the second after it was created by the clock, less than half a
        second later by the milliseconds: its first follow-up is moved to ``created + 1``.
        Draws nothing, and moves nothing across an extract."""
        full = self.tl.extracts[0]
        seen_touch = False  # the first follow-up task written is kept for another case
        for lead in self.leads:
            if not lead.touches:
                continue
            first, c = lead.touches[0], lead.created
            if (
                seen_touch
                and not lead.case
                and lead.deleted_at is None
                and first.kind in ("Call", "Email")
                and first.ts < full - 30 * DAY
                and lead.statuses[1] == (first.ts, WORKING)
                and millis(c) - millis(c + 1) >= 500
            ):
                lead.touches[0] = Touch(c + 1, first.user, first.kind)
                lead.statuses[1] = (c + 1, WORKING)
                lead.case = FOLLOW_UP_WITHIN_A_SECOND
                return
            seen_touch = True


def _email(first: str, company: str) -> str:
    domain = text.ascii_slug(company)[:12].strip(".-") or "example"
    return f"{text.ascii_slug(first) or 'info'}@{domain}.test"


def lead_versions(lead: Lead) -> list[Version]:
    row: Row = {
        "Id": lead.id,
        "OwnerId": lead.owner.id,
        "FirstName": lead.first_name,
        "LastName": lead.last_name,
        "Company": lead.company,
        "Email": _email(lead.first_name, lead.company),
        "Title": lead.title,
        "Status": OPEN,
        "Rating": "",
        "LeadSource": lead.source,
        "CreatedDate": sf_datetime(lead.created),
        "IsConverted": sf_bool(False),
        "IsDeleted": sf_bool(False),
        "Demo_Case__c": lead.case,
    }
    versions: list[Version] = [(lead.created, row)]
    for ts, status in lead.statuses[1:]:
        patch: Row = {"Status": status}
        if status == CONVERTED and lead.account is not None:
            patch |= {
                "IsConverted": sf_bool(True),
                "ConvertedDate": sf_date(to_date(ts)),
                "ConvertedOpportunityId": lead.opportunity.id if lead.opportunity else "",
                "ConvertedAccountId": lead.account.id,
            }
        versions.append((ts, patch))
    if lead.deleted_at is not None:
        versions.append((lead.deleted_at, {"IsDeleted": sf_bool(True)}))
    return sorted(versions, key=lambda v: v[0])


def touch_lead(rng: random.Random) -> Row:
    return {"Rating": rng.choice(("Hot", "Warm", "Cold"))}
