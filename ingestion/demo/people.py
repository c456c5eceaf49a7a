"""The workforce: who works here, in which team, from when to when. HRIS, Salesforce users,
quotas, plans and the survey are all derived from this one list."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ingestion.demo import text
from ingestion.demo.timeline import Timeline, add_months, quarter_start, random_date

ENTERPRISE = "Sales - Enterprise"
MID_MARKET = "Sales - Mid-Market"
SALES_DEVELOPMENT = "Sales Development"
SALES_ENGINEERING = "Sales Engineering"
CUSTOMER_SUCCESS = "Customer Success"
SALES_OPERATIONS = "Sales Operations"
MARKETING = "Marketing"

SEGMENT_DEPARTMENT = {"ENT": ENTERPRISE, "MM": MID_MARKET}
AE_TITLE = {"ENT": "Enterprise Account Executive", "MM": "Account Executive"}
MANAGER_TITLE = {"ENT": "Enterprise Sales Manager", "MM": "Mid-Market Sales Manager"}
SDR_TITLE = "Sales Development Representative"

# Roles: which Salesforce users they become and which ones carry quota.
# LEAD heads a non-sales team (not a Salesforce user).
CRO = "CRO"
MANAGER = "MGR"
LEAD = "LEAD"
AE = "AE"
SDR = "SDR"
SE = "SE"
CSM = "CSM"
OPS = "OPS"
MKT = "MKT"
SALESFORCE_ROLES = {CRO, MANAGER, AE, SDR, SE}

# Fraction of slot occupants who leave during the window; they are replaced.
_REP_TURNOVER = 0.3
_STAFF_TURNOVER = 0.2
FIRST_EMPLOYEE_NUMBER = 100_101
CONTRACTOR_EMPLOYEE_NUMBER = "C-10042"


@dataclass
class Person:
    employee_id: str
    first_name: str
    last_name: str
    email: str
    department: str
    job_title: str
    role: str
    manager_id: str | None
    location: str
    hire_date: date
    segment: str | None = None
    termination_date: date | None = None
    termination_type: str | None = None
    leave_from: date | None = None
    promotion: tuple[date, str] | None = None
    # A reporting-line change only HRIS records: (from, new manager's employee_id).
    hris_manager: tuple[date, str] | None = None
    in_hris: bool = True
    in_salesforce: bool = False
    skill: float = 1.0
    case: str = ""

    def employed_on(self, d: date) -> bool:
        return self.hire_date <= d and (self.termination_date is None or self.termination_date >= d)


class _Hiring:
    """Creates people with unique employee numbers and e-mail addresses."""

    def __init__(self, rng: random.Random, tl: Timeline) -> None:
        self.rng = rng
        self.tl = tl
        self.people: list[Person] = []
        self._emails: set[str] = set()

    def hire(
        self,
        role: str,
        department: str,
        title: str,
        manager: Person | None,
        hire_date: date,
        segment: str | None = None,
    ) -> Person:
        first, last = text.person_name(self.rng)
        person = Person(
            employee_id=str(FIRST_EMPLOYEE_NUMBER + len(self.people)),
            first_name=first,
            last_name=last,
            email=self._email(first, last),
            department=department,
            job_title=title,
            role=role,
            manager_id=manager.employee_id if manager else None,
            location=self.rng.choice(text.LOCATIONS),
            hire_date=hire_date,
            segment=segment,
            in_salesforce=role in SALESFORCE_ROLES,
            skill=round(self.rng.uniform(0.7, 1.3), 3),
        )
        self.people.append(person)
        return person

    def _email(self, first: str, last: str) -> str:
        stem = f"{text.ascii_slug(first)}.{text.ascii_slug(last)}"
        email, n = f"{stem}@example.com", 1
        while email in self._emails:
            n += 1
            email = f"{stem}{n}@example.com"
        self._emails.add(email)
        return email

    def veteran_date(self) -> date:
        """A hire date well before the window."""
        return random_date(self.rng, self.tl.start - timedelta(days=6 * 365), self.tl.start)

    def fill_slot(
        self,
        role: str,
        department: str,
        title: str,
        manager: Person,
        turnover: float,
        segment: str | None = None,
    ) -> None:
        """One seat over the window: its occupant may leave and be replaced, repeatedly."""
        rng, tl = self.rng, self.tl
        if rng.random() < 0.75:
            hire = self.veteran_date()
        else:
            hire = random_date(rng, tl.start, tl.start + timedelta(days=400))
        while True:
            person = self.hire(role, department, title, manager, hire, segment)
            if rng.random() >= turnover:
                return
            earliest = max(hire + timedelta(days=120), tl.start + timedelta(days=10))
            leave = random_date(rng, earliest, earliest + timedelta(days=700))
            if leave >= tl.as_of - timedelta(days=40):
                return
            terminate(rng, person, leave)
            hire = leave + timedelta(days=rng.randint(20, 75))
            if hire >= tl.as_of - timedelta(days=30):
                return


def terminate(rng: random.Random, person: Person, last_day: date, kind: str = "") -> None:
    person.termination_date = last_day
    person.termination_type = kind or ("Voluntary" if rng.random() < 0.65 else "Involuntary")


def _headcount(base: float, scale: float, minimum: int) -> int:
    return max(minimum, round(base * scale))


def build_workforce(rng: random.Random, tl: Timeline, scale: float) -> list[Person]:
    """Everyone who worked here during the window, plus one future hire and one contractor."""
    h = _Hiring(rng, tl)
    cro = h.hire(CRO, SALES_OPERATIONS, "Chief Revenue Officer", None, date(2017, 3, 6))
    _operations(h, cro, scale)
    managers = _sales_managers(h, cro, scale)
    for segment, base in (("ENT", 22), ("MM", 18)):
        team = managers[segment]
        for i in range(_headcount(base, scale, 2)):
            h.fill_slot(
                AE,
                SEGMENT_DEPARTMENT[segment],
                AE_TITLE[segment],
                team[i % len(team)],
                _REP_TURNOVER,
                segment,
            )
    sdr_team = managers["SDR"]
    for i in range(_headcount(10, scale, 1)):
        h.fill_slot(SDR, SALES_DEVELOPMENT, SDR_TITLE, sdr_team[i % len(sdr_team)], _REP_TURNOVER)
    _sales_engineering(h, cro)
    _customer_success_and_marketing(h, cro, scale)
    _special_cases(h, managers)
    return h.people


def _operations(h: _Hiring, cro: Person, scale: float) -> None:
    lead = h.hire(LEAD, SALES_OPERATIONS, "Director, Sales Operations", cro, h.veteran_date())
    admin = h.hire(OPS, SALES_OPERATIONS, "Salesforce Administrator", lead, h.veteran_date())
    admin.in_salesforce = True
    for _ in range(_headcount(4, scale, 2) - 2):
        h.fill_slot(OPS, SALES_OPERATIONS, "Sales Operations Analyst", lead, _STAFF_TURNOVER)


def _sales_managers(h: _Hiring, cro: Person, scale: float) -> dict[str, list[Person]]:
    managers: dict[str, list[Person]] = {}
    for segment, base in (("ENT", 3), ("MM", 2)):
        managers[segment] = [
            h.hire(
                MANAGER,
                SEGMENT_DEPARTMENT[segment],
                MANAGER_TITLE[segment],
                cro,
                h.veteran_date(),
                segment,
            )
            for _ in range(_headcount(base, scale, 1))
        ]
    managers["SDR"] = [
        h.hire(MANAGER, SALES_DEVELOPMENT, "Sales Development Manager", cro, h.veteran_date())
        for _ in range(_headcount(1, scale, 1))
    ]
    return managers


def _sales_engineering(h: _Hiring, cro: Person) -> None:
    """A deliberately small team (3 people at every scale): below the survey's group size."""
    lead = h.hire(SE, SALES_ENGINEERING, "Sales Engineering Manager", cro, h.veteran_date())
    h.hire(SE, SALES_ENGINEERING, "Sales Engineer", lead, h.veteran_date())
    h.hire(
        SE,
        SALES_ENGINEERING,
        "Senior Sales Engineer",
        lead,
        random_date(h.rng, h.tl.start, h.tl.start + timedelta(days=200)),
    )


def _customer_success_and_marketing(h: _Hiring, cro: Person, scale: float) -> None:
    cs_lead = h.hire(LEAD, CUSTOMER_SUCCESS, "VP, Customer Success", cro, h.veteran_date())
    for _ in range(_headcount(12, scale, 2)):
        h.fill_slot(CSM, CUSTOMER_SUCCESS, "Customer Success Manager", cs_lead, _STAFF_TURNOVER)
    mkt_lead = h.hire(LEAD, MARKETING, "VP Marketing", cro, h.veteran_date())
    for _ in range(_headcount(8, scale, 1)):
        h.fill_slot(MKT, MARKETING, "Marketing Manager", mkt_lead, _STAFF_TURNOVER)


def _pick(h: _Hiring, role: str, department: str, title: str, on: date) -> Person:
    """A long-tenured, still-unremarkable member of a team on ``on``; hired if there is none."""
    for p in h.people:
        if (
            p.role == role
            and p.department == department
            and p.employed_on(on)
            and p.hire_date < on - timedelta(days=200)
            and not p.case
        ):
            return p
    manager = next(p for p in h.people if p.department == department and p.role != role)
    return h.hire(role, department, title, manager, h.veteran_date(), manager.segment)


def _special_cases(h: _Hiring, managers: dict[str, list[Person]]) -> None:
    """Cases the marts' rules need, placed explicitly so every scale and seed has them."""
    rng, tl, people = h.rng, h.tl, h.people
    # A separation on the first day of a calendar quarter (turnover boundary).
    boundary = add_months(quarter_start(tl.as_of), -9)
    csm = _pick(h, CSM, CUSTOMER_SUCCESS, "Customer Success Manager", boundary)
    terminate(rng, csm, boundary, "Involuntary")
    csm.case = "termination_on_quarter_start"
    # A resignation about a year ago, so separations spread over the window at every scale.
    marketer = _pick(h, MKT, MARKETING, "Marketing Manager", tl.as_of - timedelta(days=400))
    terminate(rng, marketer, tl.as_of - timedelta(days=400), "Voluntary")
    marketer.case = "resigned_a_year_ago"
    # A recent resignation (only the second HRIS file knows it), replaced by a future hire.
    leaver = _pick(h, AE, ENTERPRISE, AE_TITLE["ENT"], tl.as_of)
    terminate(rng, leaver, tl.as_of - timedelta(days=5), "Voluntary")
    leaver.case = "terminated_after_first_hris_file"
    manager = next(p for p in people if p.employee_id == leaver.manager_id)
    future = h.hire(AE, ENTERPRISE, AE_TITLE["ENT"], manager, tl.as_of + timedelta(days=14), "ENT")
    future.case = "future_hire"
    on_leave = _pick(h, CSM, CUSTOMER_SUCCESS, "Customer Success Manager", tl.as_of)
    on_leave.leave_from = tl.as_of - timedelta(days=10)
    on_leave.case = "on_leave"
    sdr = _pick(h, SDR, SALES_DEVELOPMENT, SDR_TITLE, tl.as_of)
    sdr.promotion = (tl.as_of - timedelta(days=3), "Senior " + SDR_TITLE)
    sdr.case = "promoted_after_first_hris_file"
    # A reorg only HRIS knows (Salesforce's ManagerId still shows the CRO): between the two HRIS
    # files the Mid-Market managers start reporting to the first Enterprise manager, who becomes
    # a second-line manager (row-level security in the BI layer follows the HRIS chain).
    for mid_market_manager in managers["MM"]:
        mid_market_manager.hris_manager = (
            tl.as_of - timedelta(days=20),
            managers["ENT"][0].employee_id,
        )
    _ensure_both_termination_types(people)
    contractor = h.hire(
        AE, MID_MARKET, AE_TITLE["MM"], managers["MM"][0], tl.start + timedelta(days=90), "MM"
    )
    contractor.employee_id = CONTRACTOR_EMPLOYEE_NUMBER
    contractor.in_hris = False
    contractor.case = "employee_number_not_in_hris"


def _ensure_both_termination_types(people: list[Person]) -> None:
    leavers = [p for p in people if p.termination_type and not p.case]
    kinds = {p.termination_type for p in people if p.termination_type}
    if leavers and "Voluntary" not in kinds:
        leavers[0].termination_type = "Voluntary"
    if leavers and "Involuntary" not in kinds:
        leavers[-1].termination_type = "Involuntary"
