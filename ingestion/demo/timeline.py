"""The demo's calendar: the two years up to ``as_of`` and the extract times around it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ingestion.demo.fmt import DAY, HOUR, at

WINDOW_DAYS = 730
_WORK_START = 13 * HOUR  # 08:00 US Eastern, the sales floor's morning
_WORK_END = 22 * HOUR


@dataclass(frozen=True)
class Timeline:
    as_of: date
    start: date
    # Salesforce extract times: a full export, then deltas; the last one is "now".
    extracts: tuple[int, ...]
    hris_files: tuple[int, int]

    @property
    def now(self) -> int:
        return self.extracts[-1]

    @property
    def start_ts(self) -> int:
        return at(self.start)


def make_timeline(as_of: date) -> Timeline:
    extract_days = (as_of - timedelta(days=7), as_of - timedelta(days=3), as_of)
    return Timeline(
        as_of=as_of,
        start=as_of - timedelta(days=WINDOW_DAYS),
        extracts=tuple(at(d, 2 * HOUR) for d in extract_days),
        hris_files=(at(as_of - timedelta(days=30), 6 * HOUR), at(as_of, 6 * HOUR)),
    )


def weekday_of(day: int) -> int:
    """Monday = 0; day 0 (1970-01-01) was a Thursday."""
    return (day + 3) % 7


def next_workday(day: int) -> int:
    weekday = weekday_of(day)
    return day + (7 - weekday if weekday >= 5 else 0)


def work_ts(rng: random.Random, day: int) -> int:
    """A moment in business hours on ``day``, moved to Monday when it falls on a weekend."""
    return next_workday(day) * DAY + rng.randint(_WORK_START, _WORK_END)


def work_ts_after(rng: random.Random, ts: int, min_days: float, max_days: float) -> int:
    """Business-hours moment ``min_days``..``max_days`` after ``ts`` (never before it)."""
    later = ts + int(rng.uniform(min_days, max_days) * DAY)
    return max(work_ts(rng, later // DAY), ts + 60)


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def month_end(d: date) -> date:
    return add_months(d, 1) - timedelta(days=1)


def random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def arrivals(
    rng: random.Random, first: int, last: int, per_day: float, office_share: float = 1.0
) -> list[int]:
    """Moments of a Poisson stream with ``per_day`` events a day in [first, last); a share
    ``office_share`` of them moved into business hours (the rest keep their time of day)."""
    out: list[int] = []
    t = first
    while True:
        t += int(rng.expovariate(per_day) * DAY)
        if t >= last:
            return out
        ts = max(t, work_ts(rng, t // DAY)) if rng.random() < office_share else t
        if ts < last:
            out.append(ts)
