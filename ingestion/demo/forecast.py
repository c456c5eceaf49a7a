"""Forecast-category overrides: a rep changes only the forecast category of an open opportunity.

In Salesforce that edits the Opportunity (``ForecastCategoryName``, ``SystemModstamp``) and
writes no OpportunityHistory row; the next change of stage resets the category to the new
stage's default (and that change writes a history row with it). History rows written for other
changes inside the stint carry the overridden category, as it was then.

Every decision here comes from its own random stream and creates no record, so every other value
the generator writes stays as it would be without overrides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ingestion.demo.fmt import DAY, HOUR, MINUTE
from ingestion.demo.opportunities import Opp
from ingestion.demo.timeline import Timeline

OVERRIDE_SHARE = 0.12  # of the opportunities with an open stint long enough
_SECOND_OVERRIDE = 0.3
_MIN_STINT = 2 * HOUR
MOST_LIKELY = "Most Likely"
# Where a rep moves a category (label -> weighted targets).
_TARGETS: dict[str, tuple[tuple[str, int], ...]] = {
    "Pipeline": (("Best Case", 5), (MOST_LIKELY, 4), ("Omitted", 1)),
    "Best Case": ((MOST_LIKELY, 5), ("Commit", 4), ("Omitted", 1)),
    MOST_LIKELY: (("Commit", 5), ("Best Case", 4), ("Omitted", 1)),
    "Commit": ((MOST_LIKELY, 5), ("Best Case", 4), ("Omitted", 1)),
}
WITHOUT_HISTORY = "forecast_override_without_history"
THEN_STAGE_CHANGE = "forecast_override_then_stage_change"
AFTER_FULL_EXPORT = "forecast_override_after_full_export"
Window = tuple[int, int, str]  # first and last possible time, label ("" = any target)


@dataclass(frozen=True)
class Stint:
    start: int  # the step that entered the stage
    end: int  # the next change of stage, or now
    default: str  # the stage's forecast category
    current: bool  # no change of stage after it
    step_times: frozenset[int]


def open_stints(opp: Opp, now: int) -> list[Stint]:
    """Runs of history rows in one open stage, long enough to hold an override."""
    steps, out, i = opp.steps, [], 0
    while i < len(steps):
        j = i + 1
        while j < len(steps) and steps[j].stage is steps[i].stage:
            j += 1
        stage = steps[i].stage
        end = steps[j].ts if j < len(steps) else now
        if not stage.is_closed and end - steps[i].ts >= _MIN_STINT:
            times = frozenset(s.ts for s in steps[i:j])
            out.append(Stint(steps[i].ts, end, stage.forecast, j == len(steps), times))
        i = j
    return out


def _target(rng: random.Random, label: str) -> str:
    names, weights = zip(*_TARGETS[label], strict=True)
    return rng.choices(names, weights)[0]


def _moment(rng: random.Random, first: int, last: int, stint: Stint) -> int:
    """A time in [first, last] that is no history row's (an override writes none)."""
    ts = rng.randint(first, last)
    while ts in stint.step_times:
        ts += 1
    return ts


def add_overrides(rng: random.Random, opps: list[Opp], tl: Timeline) -> None:
    full, *_, last_delta, now = tl.extracts
    eligible = [o for o in opps if not o.case and o.deleted_at is None and o.has_history]
    stints = {o.id: open_stints(o, now) for o in eligible}
    forced = _forced_cases(rng, eligible, stints, full, last_delta, now)
    for opp in eligible:
        if rng.random() >= OVERRIDE_SHARE or opp.id in forced or not stints[opp.id]:
            continue
        stint = rng.choice(stints[opp.id])
        count = 2 if rng.random() < _SECOND_OVERRIDE else 1
        times = sorted(
            {_moment(rng, stint.start + MINUTE, stint.end - MINUTE, stint) for _ in range(count)}
        )
        label = stint.default
        for ts in times:
            if label == "Omitted":
                break
            label = _target(rng, label)
            opp.forecast_overrides.append((ts, label))


def _forced_cases(
    rng: random.Random,
    opps: list[Opp],
    stints: dict[str, list[Stint]],
    full: int,
    last_delta: int,
    now: int,
) -> set[str]:
    """Tagged cases at every scale: still open in Most Likely by an override after the last
    history row (in the full export); overridden to Most Likely (in the full export), then a
    change of stage (in a delta); overridden after the last delta but one (only the last delta
    has it)."""
    done: set[str] = set()

    def pick(case: str, fits: Callable[[Opp, Stint], Window | None]) -> None:
        for opp in opps:
            if opp.id in done:
                continue
            for stint in stints[opp.id]:
                window = fits(opp, stint)
                if window is None:
                    continue
                first, last, label = window
                ts = _moment(rng, first, last, stint)
                opp.forecast_overrides.append((ts, label or _target(rng, stint.default)))
                opp.forecast_case = case
                done.add(opp.id)
                return

    def without_history(opp: Opp, stint: Stint) -> Window | None:
        after = max(opp.final.ts, full - 10 * DAY) + MINUTE
        return (after, full - HOUR, MOST_LIKELY) if stint.current and after < full - HOUR else None

    def then_stage_change(opp: Opp, stint: Stint) -> Window | None:
        # In the full export; the change of stage that resets it in a delta.
        first = max(stint.start, full - 10 * DAY) + MINUTE
        fits = not stint.current and first < full - HOUR and full < stint.end <= now
        return (first, full - HOUR, MOST_LIKELY) if fits else None

    def after_full_export(opp: Opp, stint: Stint) -> Window | None:
        fits = stint.current and opp.final.ts < last_delta
        return (last_delta + MINUTE, now - MINUTE, "") if fits else None

    pick(WITHOUT_HISTORY, without_history)
    pick(THEN_STAGE_CHANGE, then_stage_change)
    pick(AFTER_FULL_EXPORT, after_full_export)
    return done
