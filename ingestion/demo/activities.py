"""Tasks and events (meetings): lead follow-ups, opportunity touchpoints, account work.

There are far more activities than anything else, so they are written as they are made
instead of being held in memory.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ingestion.demo import people as org
from ingestion.demo import text
from ingestion.demo.accounts import Account, AccountBook
from ingestion.demo.fmt import DAY, HOUR, MINUTE, at, sf_bool, sf_date, sf_datetime, to_date
from ingestion.demo.ids import IdFactory
from ingestion.demo.leads import FOLLOW_UP_WITHIN_A_SECOND, Lead, Touch
from ingestion.demo.opportunities import Opp
from ingestion.demo.timeline import Timeline, arrivals, work_ts, work_ts_after
from ingestion.demo.users import Roster, User
from ingestion.demo.versions import Row, Version
from ingestion.demo.writer import SalesforceWriter

TASK_EXTRAS = (
    ("Description", "Subject"),
    ("CallDurationInSeconds", "TaskSubtype"),
    ("Priority", "Status"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
EVENT_EXTRAS = (
    ("Location", "Subject"),
    ("IsAllDayEvent", "Type"),
    ("ActivityDateTime", "DurationInMinutes"),
    ("ActivityDate", "ActivityDateTime"),
    ("ShowAs", "ActivityDate"),
    ("Description", "ShowAs"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
# Per calendar day, per user, activities not tied to a lead or an opportunity.
_ACCOUNT_TASK_RATE = {org.AE: 0.6, org.SDR: 1.3, org.MANAGER: 0.2, org.SE: 0.3}
_ACCOUNT_EVENT_RATE = {org.AE: 0.16, org.SDR: 0.05, org.MANAGER: 0.08, org.SE: 0.25}
# Per open day of an opportunity.
_OPP_TASK_RATE = 0.14
_OPP_EVENT_RATE = 0.045
_DELETE_RATE = 0.003
_TASK_TYPES = {"Call": "Call", "Email": "Email"}
_LOCATIONS = ("Zoom", "Microsoft Teams", "Customer office", "Google Meet", "")


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(frozen=True)
class Link:
    """What an activity is about: a lead or contact (who), an opportunity or account (what)."""

    who: str = ""
    what: str = ""
    account: str = ""


class Contacts:
    """Contact ids per account; Contacts are not exported, activities only point to them."""

    def __init__(self, rng: random.Random, ids: IdFactory) -> None:
        self.rng = rng
        self.ids = ids
        self._by_account: dict[str, list[str]] = {}

    def any(self, account: Account) -> str:
        contacts = self._by_account.get(account.id)
        if contacts is None:
            contacts = [self.ids.new("Contact") for _ in range(self.rng.randint(1, 3))]
            self._by_account[account.id] = contacts
        return self.rng.choice(contacts)


class ActivityWriter:
    def __init__(
        self,
        rng: random.Random,
        ids: IdFactory,
        tl: Timeline,
        tasks: SalesforceWriter,
        events: SalesforceWriter,
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.tl = tl
        self.tasks = tasks
        self.events = events
        self._deleted_in_delta: set[str] = set()

    def task(
        self,
        owner: User,
        ts: int,
        subtype: str,
        link: Link,
        mode: str = "logged",
        case: str = "",
        created: int | None = None,
        keep: bool = False,
    ) -> None:
        """``mode``: logged (created done), legacy (closed, no CompletedDateTime), scheduled
        (created earlier, completed at ``ts``) or open (due at ``ts``, never completed).
        ``keep``: never deleted (the draws are made all the same)."""
        rng = self.rng
        created = ts if created is None else created
        ts = max(ts, created)
        closed = mode in ("logged", "legacy")
        row: Row = {
            "Id": self.ids.new("Task"),
            "OwnerId": owner.id,
            "WhoId": link.who,
            "WhatId": link.what,
            "AccountId": link.account,
            "Subject": text.task_subject(rng, subtype),
            "Description": text.note(rng) if rng.random() < 0.2 else "",
            "TaskSubtype": subtype,
            "CallDurationInSeconds": str(rng.randint(20, 1800)) if subtype == "Call" else "",
            "Type": _TASK_TYPES.get(subtype, "Other"),
            "Status": "Completed" if closed else rng.choice(("Not Started", "In Progress")),
            "Priority": "High" if rng.random() < 0.1 else "Normal",
            "IsClosed": sf_bool(closed),
            "ActivityDate": sf_date(to_date(ts)),
            "CompletedDateTime": sf_datetime(ts) if mode == "logged" else "",
            "CreatedDate": sf_datetime(created),
            "IsDeleted": sf_bool(False),
            "Demo_Case__c": case,
        }
        versions: list[Version] = [(created, row)]
        if mode == "scheduled":
            versions.append(
                (
                    ts,
                    {
                        "Status": "Completed",
                        "IsClosed": sf_bool(True),
                        "CompletedDateTime": sf_datetime(ts),
                    },
                )
            )
        if not case:
            versions = self._maybe_deleted(versions, "Task")
            if keep:
                versions = [v for v in versions if v[1] != {"IsDeleted": sf_bool(True)}]
        self.tasks.add(versions)

    def event(
        self,
        owner: User,
        created: int,
        start: int,
        link: Link,
        company: str | None = None,
        case: str = "",
    ) -> None:
        rng = self.rng
        minutes = rng.choice((30, 30, 45, 60, 60, 90))
        row: Row = {
            "Id": self.ids.new("Event"),
            "OwnerId": owner.id,
            "WhoId": link.who,
            "WhatId": link.what,
            "AccountId": link.account,
            "Subject": text.meeting_subject(rng, company),
            "Location": rng.choice(_LOCATIONS),
            "Type": "Meeting" if rng.random() < 0.85 else "Call",
            "IsAllDayEvent": sf_bool(False),
            "Description": text.note(rng) if rng.random() < 0.2 else "",
            "ShowAs": "Busy",
            "CreatedDate": sf_datetime(created),
            "IsDeleted": sf_bool(False),
            "Demo_Case__c": case,
        }
        row |= _schedule(start, minutes)
        versions: list[Version] = [(created, row)]
        if case:  # scripted cases stay exactly where they were put
            self.events.add(versions)
            return
        if rng.random() < 0.08 and start - created > 2 * HOUR:
            moved = rng.randint(created + HOUR, start - HOUR)
            versions.append((moved, _schedule(start + rng.randint(1, 5) * DAY, minutes)))
        self.events.add(self._maybe_deleted(versions, "Event"))

    def _maybe_deleted(self, versions: list[Version], kind: str) -> list[Version]:
        """A few activities get deleted; the first old enough one of each kind is deleted
        inside the delta window, so the deltas always carry a deletion."""
        rng, last, (full, *_, now) = self.rng, versions[-1][0], self.tl.extracts
        if kind not in self._deleted_in_delta and last < full:
            self._deleted_in_delta.add(kind)
            versions.append((rng.randint(full + MINUTE, now), {"IsDeleted": sf_bool(True)}))
        elif last < now - DAY and rng.random() < _DELETE_RATE:
            versions.append((rng.randint(last + MINUTE, now), {"IsDeleted": sf_bool(True)}))
        return versions


def _schedule(start: int, minutes: int) -> Row:
    return {
        "StartDateTime": sf_datetime(start),
        "EndDateTime": sf_datetime(start + minutes * MINUTE),
        "DurationInMinutes": str(minutes),
        "ActivityDateTime": sf_datetime(start),
        "ActivityDate": sf_date(to_date(start)),
    }


def _task_mode(rng: random.Random) -> str:
    return rng.choices(("logged", "scheduled", "open", "legacy"), (80, 12, 4, 4))[0]


def lead_activities(aw: ActivityWriter, leads: list[Lead]) -> None:
    for lead in leads:
        for touch in lead.touches:
            _lead_touch(aw, lead, touch)


def _lead_touch(aw: ActivityWriter, lead: Lead, touch: Touch) -> None:
    rng, link = aw.rng, Link(who=lead.id)
    kind, ts, user = touch.kind, touch.ts, touch.user
    if kind in ("Call", "Email", "Task"):
        mode = "legacy" if rng.random() < 0.03 else "logged"  # drawn for every touch
        keep = lead.case == FOLLOW_UP_WITHIN_A_SECOND and touch is lead.touches[0]
        aw.task(user, ts, kind, link, mode="logged" if keep else mode, keep=keep)
    elif kind == "scheduled":
        aw.task(user, ts, "Call", link, mode="scheduled", created=lead.created + 5 * MINUTE)
    elif kind == "meeting":
        aw.task(user, ts, "Call", link)
        aw.event(user, ts + MINUTE, work_ts_after(rng, ts, 1, 7), link, lead.company)
    elif kind == "open":
        aw.task(user, ts + 3 * DAY, "Call", link, mode="open", created=ts, case=lead.case)
    elif kind == "before":
        aw.task(user, ts, "Email", link, case=lead.case)
    elif kind == "future_meeting":
        aw.event(user, ts, aw.tl.now + 3 * DAY + 14 * HOUR, link, lead.company, case=lead.case)


def opportunity_activities(
    aw: ActivityWriter, opps: list[Opp], roster: Roster, contacts: Contacts
) -> None:
    rng, now = aw.rng, aw.tl.now
    for opp in opps:
        closed = opp.closed_at
        end = closed if closed is not None else now + 30 * DAY
        span = max(0.2, (end - opp.created) / DAY)
        for _ in range(max(1, poisson(rng, _OPP_TASK_RATE * span))):
            ts = rng.randint(opp.created, end)
            _opp_task(aw, opp, work_ts(rng, ts // DAY), contacts)
        if closed is not None and rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):  # hand-over work after the close date
                _opp_task(aw, opp, work_ts_after(rng, closed, 1, 20), contacts)
        for _ in range(poisson(rng, _OPP_EVENT_RATE * span)):
            start = work_ts(rng, rng.randint(opp.created, end) // DAY)
            created = max(opp.created + MINUTE, start - rng.randint(HOUR, 10 * DAY))
            owner = opp.owner_at(created)
            if rng.random() < 0.2:
                owner = roster.pick(rng, created, org.SE)
            aw.event(
                owner,
                created,
                max(start, created + HOUR),
                _opp_link(opp, contacts, rng),
                opp.account.name,
            )
        if opp.first_won_at is not None and rng.random() < 0.7:
            sent = max(opp.created, opp.first_won_at - rng.randint(HOUR, 3 * DAY))
            aw.task(roster.integration, sent, "Email", Link(what=opp.id, account=opp.account.id))


def _opp_link(opp: Opp, contacts: Contacts, rng: random.Random) -> Link:
    who = contacts.any(opp.account) if rng.random() < 0.6 else ""
    return Link(who=who, what=opp.id, account=opp.account.id)


def _opp_task(aw: ActivityWriter, opp: Opp, ts: int, contacts: Contacts) -> None:
    rng = aw.rng
    mode = _task_mode(rng)
    created = ts - rng.randint(HOUR, 5 * DAY) if mode in ("scheduled", "open") else ts
    created = max(created, opp.created + MINUTE)
    subtype = rng.choices(("Call", "Email", "Task"), (40, 45, 15))[0]
    aw.task(
        opp.owner_at(created),
        max(ts, created),
        subtype,
        _opp_link(opp, contacts, rng),
        mode=mode,
        created=created,
    )


def account_activities(
    aw: ActivityWriter, roster: Roster, book: AccountBook, contacts: Contacts
) -> None:
    """Prospecting and account management that is not logged against an opportunity."""
    rng, tl = aw.rng, aw.tl
    for user in roster.with_role(*_ACCOUNT_TASK_RATE):
        first = max(user.created, tl.start_ts)
        last = min(user.deactivated or tl.now + 30 * DAY, tl.now + 30 * DAY)
        segment = user.segment or rng.choice(("ENT", "MM"))
        for ts in arrivals(rng, first, last, _ACCOUNT_TASK_RATE[user.role]):
            account = book.any(segment)
            mode = _task_mode(rng)
            created = ts - rng.randint(HOUR, 5 * DAY) if mode in ("scheduled", "open") else ts
            subtype = rng.choices(("Call", "Email", "Task"), (45, 40, 15))[0]
            link = Link(contacts.any(account) if rng.random() < 0.5 else "", account.id, account.id)
            aw.task(user, ts, subtype, link, mode=mode, created=max(created, first))
        for start in arrivals(rng, first, last, _ACCOUNT_EVENT_RATE[user.role]):
            account = book.any(segment)
            created = max(first, start - rng.randint(HOUR, 14 * DAY))
            aw.event(
                user,
                created,
                max(start, created + HOUR),
                Link(contacts.any(account), account.id, account.id),
                account.name,
            )


def boundary_meetings(aw: ActivityWriter, roster: Roster, book: AccountBook) -> None:
    """Meetings later on the as-of date (counted as held) and on the day after (not yet)."""
    rng, tl = aw.rng, aw.tl
    owner = roster.pick(rng, tl.now, org.AE)
    account = book.any(owner.segment or "MM")
    for offset, case in ((0, "meeting_later_on_as_of_date"), (1, "meeting_on_day_after_as_of")):
        start = at(tl.as_of, 16 * HOUR) + offset * DAY
        aw.event(
            owner,
            tl.now - 2 * DAY,
            start,
            Link(what=account.id, account=account.id),
            account.name,
            case=case,
        )
