"""The HRIS worker report: a full export a month ago, then a report of what changed since."""

from __future__ import annotations

from datetime import date

from ingestion.demo.fmt import sf_date, to_date
from ingestion.demo.people import Person
from ingestion.demo.timeline import Timeline
from ingestion.demo.versions import Row

# A worker appears in the report once the offer is signed, a few weeks before the start date.
_PRE_HIRE_DAYS = 30


def worker_row(person: Person, on: date) -> Row:
    """The person as the HRIS reports them on ``on``."""
    terminated = person.termination_date is not None and person.termination_date <= on
    title = person.job_title
    if person.promotion is not None and person.promotion[0] <= on:
        title = person.promotion[1]
    manager = person.manager_id
    if person.hris_manager is not None and person.hris_manager[0] <= on:
        manager = person.hris_manager[1]
    status = "Active"
    if terminated and person.termination_date is not None and person.termination_date < on:
        status = "Terminated"
    elif person.leave_from is not None and person.leave_from <= on:
        status = "Leave"
    return {
        "employee_id": person.employee_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "work_email": person.email,
        "department": person.department,
        "job_title": title,
        "manager_employee_id": manager or "",
        "location": person.location,
        "hire_date": sf_date(person.hire_date),
        "termination_date": sf_date(person.termination_date) if terminated else "",
        "termination_type": (person.termination_type or "") if terminated else "",
        "employment_status": status,
    }


def _known_on(person: Person, on: date) -> bool:
    return person.in_hris and (person.hire_date - on).days <= _PRE_HIRE_DAYS


def worker_files(workforce: list[Person], tl: Timeline) -> tuple[list[Row], list[Row]]:
    """(full report at the first file time, changed or new workers at the second)."""
    first_day, second_day = (to_date(ts) for ts in tl.hris_files)
    first = {p.employee_id: worker_row(p, first_day) for p in workforce if _known_on(p, first_day)}
    changes = [
        row
        for p in workforce
        if _known_on(p, second_day)
        and (row := worker_row(p, second_day)) != first.get(p.employee_id)
    ]
    return sorted(first.values(), key=lambda r: r["employee_id"]), changes
