"""Quarterly engagement-survey waves in long format (one row per answer)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from ingestion.demo.fmt import DAY, HOUR, at, iso_utc
from ingestion.demo.people import CUSTOMER_SUCCESS, Person
from ingestion.demo.timeline import Timeline, add_months, quarter_start
from ingestion.demo.versions import Row

QUESTIONS = (
    (
        "Q1",
        "eNPS",
        "How likely are you to recommend working here to a friend, on a scale from 0 to 10?",
    ),
    ("Q2", "Satisfaction", "Overall, how satisfied are you with your job?"),
    ("Q3", "Satisfaction", 'How satisfied are you with the "tools & systems" you use every day?'),
    ("Q4", "Engagement", "I feel motivated to go beyond what is expected of me."),
    (
        "Q5",
        "Engagement",
        'I would recommend my team\'s "way of working" to others.\n'
        "(Think about the last 3 months.)",
    ),
    ("Q6", "Engagement", "I know what is expected of me, and I have what I need to do it."),
    ("Q7", "Growth", "I see a path for my career here, including promotion."),
    ("Q8", "Growth", "My manager supports my development:\ncoaching, feedback and training."),
)
# Answers under an employee id the HRIS does not know (a contractor's survey link).
UNKNOWN_RESPONDENT = "199999"
_SKIP_RATE = 0.04
_ID_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Wave:
    survey_id: str
    name: str
    opens: date
    closes: date

    @property
    def exported(self) -> int:
        return at(self.closes + timedelta(days=1), 8 * HOUR)


def waves(tl: Timeline) -> list[Wave]:
    """One wave per quarter: open from the 10th of the quarter's last month for two weeks."""
    out = []
    quarter = quarter_start(tl.start)
    while quarter <= tl.as_of:
        opens = add_months(quarter, 2) + timedelta(days=9)
        closes = opens + timedelta(days=13)
        label = f"{quarter.year}Q{(quarter.month - 1) // 3 + 1}"
        if opens >= tl.start and closes < tl.as_of:
            out.append(Wave(f"SV-{label}", f"Seller Pulse, {label[:4]} {label[4:]}", opens, closes))
        quarter = add_months(quarter, 3)
    return out


def _score(rng: random.Random, factor: str, mood: float) -> str:
    if factor == "eNPS":
        return str(min(10, max(0, round(7.2 + 1.9 * mood + rng.gauss(0, 0.8)))))
    return str(min(5, max(1, round(3.5 + 0.9 * mood + rng.gauss(0, 0.5)))))


def wave_rows(
    rng: random.Random,
    workforce: list[Person],
    wave: Wave,
    used: set[str],
    *,
    first: bool,
    last: bool,
) -> list[Row]:
    staff = [p for p in workforce if p.in_hris and p.employed_on(wave.opens)]
    departments = sorted({p.department for p in staff})
    rates = {d: rng.uniform(0.55, 0.9) for d in departments}
    moods = {d: rng.gauss(0, 0.4) for d in departments}
    answering = [
        (p.employee_id, moods[p.department], p.department)
        for p in staff
        if rng.random() < rates[p.department]
    ]
    if first or last:
        answering.append((UNKNOWN_RESPONDENT, 0.0, ""))
    # One person opens the survey and skips every question (not a respondent downstream).
    silent = next((e for e, _, d in answering if d == CUSTOMER_SUCCESS), None) if first else None
    responses = []
    for employee_id, mood, _ in answering:
        submitted = at(wave.opens, 13 * HOUR) + rng.randint(0, 13 * DAY + 9 * HOUR)
        response_id = _response_id(rng, used)
        person_mood = mood + rng.gauss(0, 1)
        answers = []
        for question_id, factor, question in QUESTIONS:
            skipped = employee_id == silent or rng.random() < _SKIP_RATE
            answers.append(
                {
                    "survey_id": wave.survey_id,
                    "survey_name": wave.name,
                    "response_id": response_id,
                    "employee_id": employee_id,
                    "submitted_at": iso_utc(submitted),
                    "question_id": question_id,
                    "question_text": question,
                    "factor": factor,
                    "score": "" if skipped else _score(rng, factor, person_mood),
                }
            )
        responses.append((submitted, answers))
    responses.sort(key=lambda r: r[0])
    return [row for _, answers in responses for row in answers]


def _response_id(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = "R_" + "".join(rng.choices(_ID_CHARS, k=15))
        if candidate not in used:
            used.add(candidate)
            return candidate
