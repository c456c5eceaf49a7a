"""Opportunities with their stage history, revenue splits and owner changes.

Each opportunity is simulated as a trail of ``Step`` s (one per history row); the Opportunity
record's versions are the states after each step, so its final state always equals its last
history row.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ingestion.demo.accounts import Account
from ingestion.demo.fmt import DAY, HOUR, day_number, to_date
from ingestion.demo.stages import BY_NAME, LOST, NEGOTIATION, OPEN_STAGES, WON, Stage
from ingestion.demo.timeline import month_end, work_ts
from ingestion.demo.users import User

_MEAN_STINT_DAYS = (9.0, 12.0, 14.0, 16.0, 12.0)
_SPEED = {"ENT": 1.5, "MM": 1.0}
_MEDIAN_AMOUNT = {"ENT": 48_000, "MM": 14_000}
_STALL_RATE = 0.06
_SKIP_RATE = 0.15
_LOST_WEIGHTS = (5, 4, 3, 3, 2)


@dataclass(frozen=True)
class Step:
    ts: int
    stage: Stage
    amount: int | None  # cents
    probability: int
    close_date: date
    added: bool = False  # inserted by ``movements`` (a history id from the later range)


@dataclass
class Split:
    id: str
    owner: User
    share: int  # hundredths of a percent
    follows_owner: bool


@dataclass
class Opp:
    id: str
    account: Account
    owner: User
    name: str
    kind: str
    lead_source: str
    created: int
    segment: str
    steps: list[Step]
    description: str = ""
    splits: list[Split] = field(default_factory=list)
    split_created: int = 0
    split_change: tuple[int, tuple[int, ...]] | None = None
    owner_changes: list[tuple[int, User]] = field(default_factory=list)
    deleted_at: int | None = None
    has_history: bool = True
    from_lead: bool = False
    case: str = ""
    # Forecast-category overrides (time, label): Opportunity versions without a history row.
    forecast_overrides: list[tuple[int, str]] = field(default_factory=list)
    # Demo_Case__c for a case that changes no other value (``case`` steers the generation).
    forecast_case: str = ""
    # The steps before ``movements`` inserted close-date and amount changes (None: unchanged).
    original_steps: list[Step] | None = None
    # Demo_Case__c for a pipeline movement (see ``movements``).
    movement_case: str = ""

    @property
    def final(self) -> Step:
        return self.steps[-1]

    @property
    def closed_at(self) -> int | None:
        return self.final.ts if self.final.stage.is_closed else None

    @property
    def first_won_at(self) -> int | None:
        return next((s.ts for s in self.steps if s.stage.is_won), None)

    def forecasts(self) -> list[str]:
        """The forecast category (label) at each step: the stage's default when the stage
        changes, else the category as the last override left it."""
        out: list[str] = []
        overrides = sorted(self.forecast_overrides)
        current, j = "", 0
        for i, step in enumerate(self.steps):
            while j < len(overrides) and overrides[j][0] < step.ts:
                current = overrides[j][1]
                j += 1
            if i == 0 or step.stage is not self.steps[i - 1].stage:
                current = step.stage.forecast
            out.append(current)
        return out

    def owner_at(self, ts: int) -> User:
        owner = self.owner
        for changed, user in self.owner_changes:
            if changed <= ts:
                owner = user
        return owner


def initial_amount(rng: random.Random, segment: str) -> int:
    dollars = _MEDIAN_AMOUNT[segment] * math.exp(rng.gauss(0, 0.6))
    if rng.random() < 0.15:
        return round(dollars * 100)
    return max(1, round(dollars / 500)) * 50_000


def _rescaled(rng: random.Random, cents: int) -> int:
    return max(50_000, round(cents * rng.uniform(0.75, 1.25) / 10_000) * 10_000)


def _planned_close(rng: random.Random, ts: int, days_ahead: float) -> date:
    close = to_date(ts) + timedelta(days=max(3, round(days_ahead * rng.uniform(0.7, 1.3))))
    return month_end(close) if rng.random() < 0.3 else close


class Trail:
    """The history rows of one opportunity, appended in time order."""

    def __init__(self, ts: int, stage: Stage, amount: int | None, close: date) -> None:
        self.steps = [Step(ts, stage, amount, stage.probability, close)]

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def change(self, ts: int, **fields: object) -> None:
        ts = max(ts, self.last.ts + 60)  # history rows are strictly ordered in time
        self.steps.append(replace(self.last, ts=ts, **fields))  # type: ignore[arg-type]

    def enter(self, ts: int, stage: Stage, amount: int | None) -> None:
        close = to_date(max(ts, self.last.ts + 60)) if stage.is_closed else self.last.close_date
        self.change(ts, stage=stage, amount=amount, probability=stage.probability, close_date=close)


def _path(rng: random.Random, start: int, win_rate: float) -> tuple[list[int], Stage | None]:
    """Open stages an opportunity passes through, and how it ends (None: still open)."""
    roll = rng.random()
    final: Stage | None
    if roll < win_rate:
        target, final = (NEGOTIATION if rng.random() < 0.85 else NEGOTIATION - 1), WON
    elif roll < win_rate + _STALL_RATE:
        target, final = rng.randint(start, NEGOTIATION), None
    else:
        weights = _LOST_WEIGHTS[start:]
        target = start + rng.choices(range(len(weights)), weights)[0]
        final = LOST
    target = max(target, start)
    path = [start] + [
        i for i in range(start + 1, target + 1) if i == target or rng.random() > _SKIP_RATE
    ]
    if len(path) >= 3 and rng.random() < 0.06:  # a step back, then forward again
        j = rng.randint(1, len(path) - 1)
        path[j:j] = [path[j], path[j - 1]]
    return path, final


def simulate(
    rng: random.Random,
    created: int,
    segment: str,
    win_rate: float,
    start: int,
    stop: int,
    amount: int | None,
) -> list[Step]:
    """History rows from creation until the opportunity closes or ``stop`` comes."""
    speed = _SPEED[segment]
    path, final = _path(rng, start, win_rate)
    expected = sum(_MEAN_STINT_DAYS[i] for i in path) * speed
    trail = Trail(created, OPEN_STAGES[path[0]], amount, _planned_close(rng, created, expected))
    t = created
    for i, stage_index in enumerate(path):
        following = OPEN_STAGES[path[i + 1]] if i + 1 < len(path) else final
        if following is None:
            end = stop + 1
        else:
            mean = _MEAN_STINT_DAYS[stage_index] * speed * DAY
            end = max(work_ts(rng, (t + int(rng.expovariate(1 / mean))) // DAY), t + HOUR)
        _inside_stint(rng, trail, t, min(end, stop))
        if end > stop or following is None:
            break
        t = max(end, trail.last.ts + 60)
        new_amount = trail.last.amount
        if new_amount is None:
            new_amount = initial_amount(rng, segment)
        trail.enter(t, following, new_amount)
    return [s for s in trail.steps if s.ts <= stop]


def _inside_stint(rng: random.Random, trail: Trail, start: int, end: int) -> None:
    """Amount, probability and close-date changes while the stage stays the same."""
    changes: list[tuple[int, str, object]] = []
    if trail.last.amount is not None and rng.random() < 0.25:
        changes.append((rng.randint(start, end), "amount", _rescaled(rng, trail.last.amount)))
    if trail.last.probability >= 40 and rng.random() < 0.05:
        changes.append((rng.randint(start, end), "probability", trail.last.probability + 10))
    close = trail.last.close_date
    for _ in range(3):
        passed = (day_number(close) + 1) * DAY
        if passed >= end or rng.random() > 0.7:
            break  # closes in time, or the rep stops updating it: the close date slips
        ts = work_ts(rng, passed // DAY + rng.randint(0, 4))
        if ts >= end:
            break
        close = to_date(ts) + timedelta(days=rng.randint(14, 45))
        changes.append((ts, "close_date", close))
    for ts, name, value in sorted(changes, key=lambda c: c[0]):
        if ts > start:
            trail.change(ts, **{name: value})


def scripted(created: int, script: list[tuple[float, str, float]], amount: int) -> list[Step]:
    """History from a fixed script of (days after creation, stage, amount factor)."""
    steps: list[Step] = []
    for offset, name, factor in script:
        stage = BY_NAME[name]
        ts = created + round(offset * DAY)
        close = to_date(ts) if stage.is_closed else to_date(ts) + timedelta(days=21)
        steps.append(Step(ts, stage, round(amount * factor), stage.probability, close))
    return steps
