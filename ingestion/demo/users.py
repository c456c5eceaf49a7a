"""Salesforce users (from the workforce) and a roster to find who was active when."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from ingestion.demo import people as org
from ingestion.demo.fmt import HOUR, at, sf_bool, sf_datetime
from ingestion.demo.ids import IdFactory
from ingestion.demo.people import Person
from ingestion.demo.timeline import Timeline
from ingestion.demo.versions import Row, Version

USER_EXTRAS = (
    ("Username", "Name"),
    ("Alias", "LastName"),
    ("TimeZoneSidKey", "Department"),
    ("Phone", "Email"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
_ROLE_NAMES = {
    org.CRO: "Chief Revenue Officer",
    org.MANAGER: "Sales Manager",
    org.AE: "Account Executive",
    org.SDR: "Sales Development",
    org.SE: "Sales Engineering",
    org.OPS: "System Administrator",
}
_LEGACY_DEPARTMENT = "Sales"  # a stale Salesforce value; HRIS knows better
_INTEGRATION_IDENTITY: Row = {
    "FirstName": "Integration",
    "LastName": "User",
    "Email": "integration@example.com",
    "EmployeeNumber": "",
    "Title": "Integration User",
    "Department": "",
}


@dataclass
class User:
    id: str
    role: str
    segment: str | None
    created: int
    deactivated: int | None
    person: Person | None
    case: str = ""

    def active_at(self, ts: int) -> bool:
        return self.created <= ts and (self.deactivated is None or ts < self.deactivated)

    def active_between(self, first: int, last: int) -> bool:
        return self.active_at(first) and self.active_at(last)


class Roster:
    """The Salesforce users, by role, with "who could do this at that moment" queries."""

    def __init__(self, users: list[User], integration: User) -> None:
        self.users = users
        self.integration = integration
        self.by_employee = {u.person.employee_id: u for u in users if u.person}
        self._by_role: dict[tuple[tuple[str, ...], str | None], list[User]] = {}

    def with_role(self, *roles: str, segment: str | None = None) -> list[User]:
        key = (roles, segment)
        if key not in self._by_role:
            self._by_role[key] = [
                u
                for u in self.users
                if u.role in roles and (segment is None or u.segment == segment)
            ]
        return self._by_role[key]

    def active(self, ts: int, *roles: str, segment: str | None = None) -> list[User]:
        return [u for u in self.with_role(*roles, segment=segment) if u.active_at(ts)]

    def pick(
        self,
        rng: random.Random,
        ts: int,
        *roles: str,
        segment: str | None = None,
        exclude: tuple[str, ...] = (),
    ) -> User:
        """Someone active at ``ts`` in one of ``roles``; a sales manager when nobody is."""
        pool = [u for u in self.active(ts, *roles, segment=segment) if u.id not in exclude]
        if not pool:
            pool = [u for u in self.active(ts, org.MANAGER, org.CRO) if u.id not in exclude]
        return rng.choice(pool)

    def manager_of(self, user: User) -> User | None:
        if user.person is None or user.person.manager_id is None:
            return None
        return self.by_employee.get(user.person.manager_id)


def build_roster(
    rng: random.Random, ids: IdFactory, tl: Timeline, workforce: list[Person]
) -> Roster:
    users = []
    for person in workforce:
        if not person.in_salesforce or person.hire_date > tl.as_of:
            continue
        created = at(person.hire_date, 14 * HOUR + rng.randint(0, 3 * HOUR))
        end = person.termination_date
        users.append(
            User(
                id=ids.new("User"),
                role=person.role,
                segment=person.segment,
                created=created,
                deactivated=at(end, 23 * HOUR) if end else None,
                person=person,
                case=person.case,
            )
        )
    integration = User(
        id=ids.new("User"),
        role="INTEGRATION",
        segment=None,
        created=at(date(2016, 11, 2), 17 * HOUR),
        deactivated=None,
        person=None,
        case="integration_user_without_employee_number",
    )
    return Roster(users, integration)


def role_ids(ids: IdFactory) -> dict[str, str]:
    return {role: ids.new("UserRole") for role in _ROLE_NAMES}


def _identity(user: User) -> Row:
    person = user.person
    if person is None:
        return dict(_INTEGRATION_IDENTITY)
    return {
        "FirstName": person.first_name,
        "LastName": person.last_name,
        "Email": person.email,
        "EmployeeNumber": person.employee_id,
        "Title": person.job_title,
        "Department": _salesforce_department(person),
    }


def user_versions(user: User, roster: Roster, roles: dict[str, str]) -> list[Version]:
    manager = roster.manager_of(user)
    row = _identity(user)
    first, last, email = row["FirstName"], row["LastName"], row["Email"]
    row |= {
        "Id": user.id,
        "Name": f"{first} {last}",
        "Username": email.replace("@", ".spm@"),
        "Alias": (first[:1] + last[:4]).lower(),
        "IsActive": sf_bool(True),
        "ManagerId": manager.id if manager else "",
        "TimeZoneSidKey": "America/New_York",
        "UserRoleId": roles.get(user.role, ""),
        "CreatedDate": sf_datetime(user.created),
        "Demo_Case__c": user.case,
    }
    versions: list[Version] = [(user.created, row)]
    if user.person and user.person.promotion:
        promoted_on, new_title = user.person.promotion
        versions.append((at(promoted_on, 16 * HOUR), {"Title": new_title}))
    if user.deactivated is not None:
        versions.append((user.deactivated, {"IsActive": sf_bool(False)}))
    return sorted(versions, key=lambda v: v[0])


def _salesforce_department(person: Person) -> str:
    # Some reps' Salesforce department was never maintained; the contractor's is the only source.
    if person.role == org.AE and person.in_hris and person.employee_id.endswith(("0", "4", "8")):
        return _LEGACY_DEPARTMENT
    return person.department


def touch_user(rng: random.Random) -> Row:
    return {"Phone": f"+1 415 555 {rng.randint(0, 9999):04d}"}
