"""Enablement: the LMS's training assignments and the coaching tool's sessions.

Both come from the HRIS workforce (employee ids are HRIS ids) and draw only from their own
random streams, so adding them leaves every other file as it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ingestion.demo import people as org
from ingestion.demo.fmt import DAY, HOUR, MINUTE, at, iso_utc, sf_date
from ingestion.demo.people import Person
from ingestion.demo.timeline import Timeline, add_months, quarter_start, weekday_of, work_ts
from ingestion.demo.versions import Row

ONBOARDING, PRODUCT, METHODOLOGY, COMPLIANCE = "Onboarding", "Product", "Methodology", "Compliance"
LEADERSHIP = "Leadership"  # a category outside the contract's list ("or another name")
# Who the LMS assigns courses to: the sales floor (the contractor is not in the HRIS).
_LEARNERS = {org.MANAGER, org.AE, org.SDR, org.SE}
_REPS = {org.AE, org.SDR}
# The coaching tool keeps about 18 months of sessions.
COACHING_DAYS = 548
# LMS exports: a full one two weeks before as_of, then the changes since, on the as-of date.
LMS_FULL_DAYS = 14
_LMS_HOUR = 4 * HOUR
_COACHING_HOUR = 5 * HOUR


@dataclass(frozen=True)
class Course:
    course_id: str
    name: str
    category: str
    minutes: int
    assessed: bool
    due_days: int | None


ONBOARDING_COURSES = (
    Course("ONB-101", "Welcome to the Company & Our Customers", ONBOARDING, 60, False, 30),
    Course("ONB-102", "Product Fundamentals", ONBOARDING, 120, True, 45),
    Course("ONB-103", "Sales Process, Stages & CRM Hygiene", ONBOARDING, 90, True, 60),
)
METHODOLOGY_COURSES = (
    Course("MTH-201", "Discovery & Qualification (MEDDICC)", METHODOLOGY, 180, True, 45),
    Course("MTH-202", "Negotiation: Trading, Not Discounting", METHODOLOGY, 120, True, 45),
    Course("MTH-203", "Value Selling & Business Cases", METHODOLOGY, 150, False, 45),
    Course("MTH-204", "Handling Objections", METHODOLOGY, 90, True, None),
)
COACHING_COURSE = Course("LDR-301", "Coaching for Sales Managers", LEADERSHIP, 240, False, 90)

STATUSES = ("Assigned", "In Progress", "Completed", "Waived")
SESSION_STATUSES = ("Completed", "Cancelled", "No-show")
# (session type, minutes, weight); "Forecast call" is another name the contract allows.
SESSION_TYPES = (
    ("One-on-one", 30, 55),
    ("Pipeline review", 45, 20),
    ("Call review", 30, 12),
    ("Skills", 60, 8),
    ("Forecast call", 30, 5),
)


@dataclass
class Assignment:
    employee_id: str
    course: Course
    assigned: date
    due: date | None
    started: int | None = None  # In Progress from
    completed: int | None = None
    waived: int | None = None
    score: str = ""
    assignment_id: str = ""

    def row(self, ts: int) -> Row:
        """The assignment as the LMS exports it at ``ts``."""
        status, completed_at, score = "Assigned", "", ""
        if self.waived is not None and self.waived <= ts:
            status = "Waived"
        elif self.completed is not None and self.completed <= ts:
            status, completed_at, score = "Completed", iso_utc(self.completed), self.score
        elif self.started is not None and self.started <= ts:
            status = "In Progress"
        return {
            "assignment_id": self.assignment_id,
            "employee_id": self.employee_id,
            "course_id": self.course.course_id,
            "course_name": self.course.name,
            "course_category": self.course.category,
            "assigned_date": sf_date(self.assigned),
            "due_date": sf_date(self.due),
            "status": status,
            "completed_at": completed_at,
            "score": score,
            "duration_minutes": str(self.course.minutes),
        }


def lms_files(tl: Timeline) -> tuple[int, int]:
    """(full export, changes export) times."""
    return (
        at(tl.as_of - timedelta(days=LMS_FULL_DAYS), _LMS_HOUR),
        at(tl.as_of, _LMS_HOUR),
    )


def coaching_file(tl: Timeline) -> int:
    return at(tl.as_of, _COACHING_HOUR)


# ---------------------------------------------------------------- training assignments


def _learners(workforce: list[Person], tl: Timeline) -> list[Person]:
    return [p for p in workforce if p.role in _LEARNERS and p.in_hris and p.hire_date <= tl.as_of]


def _waves(tl: Timeline) -> list[date]:
    """Quarterly waves: the first Monday of each quarter's middle month inside the window."""
    out = []
    quarter = quarter_start(tl.start)
    while quarter <= tl.as_of:
        day = add_months(quarter, 1)
        day += timedelta(days=(7 - weekday_of((day - date(1970, 1, 1)).days)) % 7)
        if tl.start <= day <= tl.as_of:
            out.append(day)
        quarter = add_months(quarter, 3)
    return out


class _Lms:
    def __init__(self, rng: random.Random, tl: Timeline) -> None:
        self.rng = rng
        self.tl = tl
        self.now = lms_files(tl)[1]
        self.items: list[Assignment] = []

    def assign(
        self, person: Person, course: Course, on: date, due: date | None, late: float
    ) -> Assignment:
        """One assignment with its whole life: started, then completed (on time, late, or
        not yet), or waived. ``late``: the share completed after the due date."""
        rng = self.rng
        item = Assignment(person.employee_id, course, on, due)
        self.items.append(item)
        start_day = (on - date(1970, 1, 1)).days
        if rng.random() < 0.03:
            item.waived = work_ts(rng, start_day + rng.randint(1, 10))
            return item
        span = (due - on).days if due is not None else 45
        if rng.random() < 0.07:  # never finished
            days = None
        elif rng.random() < late:
            days = span + rng.randint(1, 40)
        else:
            days = rng.randint(max(1, span // 6), span)
        begin = rng.randint(0, max(0, (days or span) - 1))
        item.started = work_ts(rng, start_day + begin)
        if days is not None:
            item.completed = max(work_ts(rng, start_day + days), item.started + 20 * MINUTE)
            if course.assessed:
                item.score = _score(rng, person)
        end = person.termination_date
        if end is not None:
            last = at(end + timedelta(days=1))
            if item.started >= last:
                item.started = None
            if item.completed is not None and item.completed >= last:
                item.completed, item.score = None, ""
        return item


def _score(rng: random.Random, person: Person) -> str:
    halves = round(rng.gauss(150 + 25 * (person.skill - 1.0), 18))
    halves = min(200, max(80, halves))
    return str(halves // 2) if halves % 2 == 0 else f"{halves // 2}.5"


def build_assignments(
    rng: random.Random, workforce: list[Person], tl: Timeline
) -> list[Assignment]:
    lms = _Lms(rng, tl)
    learners = _learners(workforce, tl)
    for person in learners:
        for course in ONBOARDING_COURSES:
            assert course.due_days is not None
            due = person.hire_date + timedelta(days=course.due_days)
            lms.assign(person, course, person.hire_date, due, late=0.2)
    for i, wave in enumerate(_waves(tl)):
        current = [p for p in learners if p.role in _REPS and p.employed_on(wave)]
        year, quarter = wave.year, (wave.month - 1) // 3 + 1
        product = Course(
            f"PRD-{year}Q{quarter}",
            f"Product Release {year} Q{quarter}",
            PRODUCT,
            45,
            i % 2 == 0,
            30,
        )
        method = METHODOLOGY_COURSES[i % len(METHODOLOGY_COURSES)]
        for person in current:
            lms.assign(person, product, wave, wave + timedelta(days=30), late=0.15)
            due = wave + timedelta(days=method.due_days) if method.due_days else None
            lms.assign(person, method, wave, due, late=0.15)
    for year in range(tl.start.year + 1, tl.as_of.year + 1):
        course = Course(
            f"CMP-{year}",
            f"Code of Conduct, Anti-Bribery & Data Privacy {year}",
            COMPLIANCE,
            60,
            True,
            None,
        )
        on = date(year, 1, 15)
        for person in learners:
            if person.employed_on(on):
                lms.assign(person, course, on, date(year, 3, 31), late=0.1)
    coaching_start = tl.start + timedelta(days=60)
    for person in learners:
        if person.role == org.MANAGER and person.employed_on(coaching_start):
            lms.assign(person, COACHING_COURSE, coaching_start, None, late=0.0)
    items = [a for a in lms.items if at(a.assigned) <= lms.now]
    _ensure_cases(rng, items, tl, lms.now)
    items.sort(key=lambda a: (a.assigned, a.employee_id, a.course.course_id))
    for n, item in enumerate(items, start=1):
        item.assignment_id = f"TA-{n:06d}"
    return items


def _ensure_cases(rng: random.Random, items: list[Assignment], tl: Timeline, now: int) -> None:
    """Every scale and seed has an overdue, a late and a waived assignment, and one that
    progresses from Assigned in the full export to Completed in the changes file."""
    full = lms_files(tl)[0]
    due_passed = [a for a in items if a.due is not None and a.due < tl.as_of]
    if not any(a.waived is not None for a in items):
        target = items[0]
        target.waived = at(target.assigned + timedelta(days=2), 15 * HOUR)
        target.started = target.completed = None
        target.score = ""
    if not any(a.row(now)["status"] in ("Assigned", "In Progress") for a in due_passed):
        target = due_passed[-1]
        target.completed, target.waived, target.score = None, None, ""
    if not any(
        a.completed is not None
        and a.due is not None
        and a.completed >= at(a.due + timedelta(days=1))
        for a in items
    ):
        early = [a for a in due_passed if a.completed is not None]
        target = next(a for a in early if a.due is not None and a.due < tl.as_of - timedelta(30))
        target.completed = at(target.due + timedelta(days=rng.randint(3, 20)), 16 * HOUR)
    if not any(
        a.row(full)["status"] == "Assigned" and a.row(now)["status"] == "Completed" for a in items
    ):
        target = next(a for a in reversed(items) if at(a.assigned) < full - DAY)
        target.waived, target.started = None, None
        target.completed = full + 2 * DAY + 15 * HOUR
        target.score = "90" if target.course.assessed else ""


def assignment_files(items: list[Assignment], tl: Timeline) -> tuple[list[Row], list[Row]]:
    """(full export rows, rows changed or added since it)."""
    full_ts, now = lms_files(tl)
    first = {a.assignment_id: a.row(full_ts) for a in items if at(a.assigned) <= full_ts}
    changes = [row for a in items if (row := a.row(now)) != first.get(a.assignment_id)]
    return list(first.values()), changes


# ---------------------------------------------------------------- coaching sessions


def build_sessions(rng: random.Random, workforce: list[Person], tl: Timeline) -> list[Row]:
    """Recurring sessions of each rep with their HRIS manager, over the last ~18 months."""
    by_id = {p.employee_id: p for p in workforce}
    first_day = tl.as_of - timedelta(days=COACHING_DAYS)
    cadence = {
        p.employee_id: rng.choice((7, 7, 14))
        for p in workforce
        if p.role == org.MANAGER and p.in_hris
    }
    sessions: list[tuple[int, str, str, str, int, str]] = []
    for rep in workforce:
        coach = by_id.get(rep.manager_id or "")
        if rep.role not in _REPS or not rep.in_hris or coach is None:
            continue
        if coach.employee_id not in cadence:
            continue
        every = cadence[coach.employee_id]
        weekday = rng.randint(0, 4)
        slot = rng.choice(range(14 * HOUR, 21 * HOUR, 30 * MINUTE))
        start = max(first_day, rep.hire_date + timedelta(days=7))
        end = min(tl.as_of - timedelta(days=1), rep.termination_date or tl.as_of)
        day = (start - date(1970, 1, 1)).days
        day += (weekday - weekday_of(day)) % 7 + rng.randrange(0, every, 7)
        last = (end - date(1970, 1, 1)).days
        while day <= last:
            kind, minutes = _session_type(rng)
            status = rng.choices(SESSION_STATUSES, weights=(86, 9, 5))[0]
            shift = rng.choice((0, 0, 0, 0, 0, 0, 1, -1)) if weekday_of(day) in (1, 2, 3) else 0
            ts = (day + shift) * DAY + slot + rng.choice((0, 0, 0, 0, 15, -15)) * MINUTE
            if ts < at(tl.as_of):
                sessions.append((ts, rep.employee_id, coach.employee_id, kind, minutes, status))
            day += every
    sessions.sort()
    return [
        {
            "session_id": f"CS-{n:06d}",
            "coach_employee_id": coach_id,
            "rep_employee_id": rep_id,
            "started_at": iso_utc(ts),
            "duration_minutes": str(minutes),
            "session_type": kind,
            "status": status,
        }
        for n, (ts, rep_id, coach_id, kind, minutes, status) in enumerate(sessions, start=1)
    ]


def _session_type(rng: random.Random) -> tuple[str, int]:
    kind, minutes, _ = rng.choices(SESSION_TYPES, weights=[w for _, _, w in SESSION_TYPES])[0]
    if kind == "Pipeline review" and rng.random() < 0.5:
        minutes = 60
    return kind, minutes
