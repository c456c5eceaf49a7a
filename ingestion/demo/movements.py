"""Pipeline movement across quarters: close dates pushed out and pulled in, amounts revised.

Reps push the close date of a deal that will not make the quarter into a later one (some do it
again the next quarter: serial slippers), pull a deal that accelerates into the current
quarter, and revise amounts while a deal is expected to close. Each change is a ``Step`` (an
OpportunityHistory row in the same stage and an Opportunity version) inserted while the deal is
open, in the last ``QUARTERS`` calendar quarters up to as_of's:

* push-out: the close date is in quarter Q, the deal closes after Q (or is still open); during
  Q the close date moves to Q+1 (sometimes Q+2). The deal's later open rows keep their distance
  to the close date (they move by the same number of days); its closing row stays as it was.
* pull-in: the close date is after Q and the next row closes the deal in Q (or, in as_of's
  quarter, the deal is still open); during Q the close date moves into Q.
* amount change: during Q, with the close date in Q, the amount becomes the one the deal has
  afterwards; the rows before it (back to the last change of amount) carry the amount it had
  before the revision. The final state (closed or open) never changes.

Every decision comes from its own random stream; the inserted rows take OpportunityHistory ids
from a range after all others, and the writer draws its random choices from the record without
these changes (``Opp.original_steps``), so every other record stays as it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from ingestion.demo.fmt import DAY, HOUR, MINUTE, at, to_date
from ingestion.demo.opportunities import Opp, Step
from ingestion.demo.timeline import Timeline, month_end, quarter_start, work_ts

QUARTERS = 5  # as_of's quarter and the four before it
# Of the deals that can be pushed out of a quarter (close date in it, closed after it): most
# reps move the date before the quarter ends; the rest stay open with a close date in the past.
PUSH_SHARE = 0.7
PUSH_AGAIN_SHARE = 0.7  # ... when they were pushed before (serial slippers)
CURRENT_QUARTER_FACTOR = 0.5  # as_of's quarter is not over yet: fewer pushes so far
PUSH_TWO_QUARTERS = 0.15
PULL_THEN_WON_SHARE = 0.25  # of the deals won in Q with a close date after Q
PULL_OTHER_SHARE = 0.04
AMOUNT_SHARE = 0.10
AMOUNT_CUT = 0.6  # the share of revisions that cut the amount (the earlier amount was higher)
_MIN_WINDOW = HOUR

PUSHED_OUT = "pushed_out_of_quarter"
PULLED_IN_THEN_WON = "pulled_into_quarter_then_won"
AMOUNT_CUT_CASE = "amount_cut_mid_quarter"
SLIPPED_TWICE = "slipped_twice"

Quarter = tuple[date, date]  # first day, first day of the next quarter
Window = tuple[int, int, int]  # index of the open row, first and last possible time


def add_quarters(start: date, n: int) -> date:
    month = start.month - 1 + 3 * n
    return date(start.year + month // 12, month % 12 + 1, 1)


def quarters(as_of: date, count: int = QUARTERS) -> list[Quarter]:
    """The last ``count`` quarters up to as_of's, oldest first."""
    current = quarter_start(as_of)
    starts = [add_quarters(current, n) for n in range(1 - count, 1)]
    return [(s, add_quarters(s, 1)) for s in starts]


def _windows(opp: Opp, q: Quarter, now: int) -> list[Window]:
    """Open intervals after each open row, clipped to the quarter (and now)."""
    steps, out = opp.steps, []
    lo_q, hi_q = at(q[0]), min(at(q[1]), now)
    for i, step in enumerate(steps):
        if step.stage.is_closed:
            break
        end = steps[i + 1].ts if i + 1 < len(steps) else now
        lo, hi = max(step.ts, lo_q) + MINUTE, min(end, hi_q) - MINUTE
        if hi - lo >= _MIN_WINDOW:
            out.append((i, lo, hi))
    return out


def _in(d: date, q: Quarter) -> bool:
    return q[0] <= d < q[1]


def push_windows(opp: Opp, q: Quarter, now: int) -> list[Window]:
    closed = opp.closed_at
    if closed is not None and closed < at(q[1]):
        return []
    return [w for w in _windows(opp, q, now) if _in(opp.steps[w[0]].close_date, q)]


def pull_windows(opp: Opp, q: Quarter, now: int, current: bool) -> list[Window]:
    steps, out = opp.steps, []
    for w in _windows(opp, q, now):
        i = w[0]
        if steps[i].close_date < q[1]:
            continue
        following = steps[i + 1] if i + 1 < len(steps) else None
        if following is None:
            fits = current  # still open: only in as_of's quarter
        else:  # closes next, in the quarter
            fits = following.stage.is_closed and following.ts < at(q[1])
        if fits:
            out.append(w)
    return out


def amount_windows(opp: Opp, q: Quarter, now: int) -> list[Window]:
    steps = opp.steps
    return [
        w
        for w in _windows(opp, q, now)
        if _in(steps[w[0]].close_date, q) and steps[w[0]].amount is not None
    ]


class Mover:
    def __init__(self, rng: random.Random, now: int) -> None:
        self.rng = rng
        self.now = now

    def _time(self, opp: Opp, window: Window, late: bool = False) -> int:
        """A business-hours moment in the window (towards its end when ``late``), no other
        row's or override's time."""
        rng, (_, lo, hi) = self.rng, window
        first, last = lo // DAY, hi // DAY
        share = rng.random() ** 0.5 if late else rng.random()
        ts = work_ts(rng, first + int((last - first) * share))
        if not lo <= ts <= hi:
            ts = rng.randint(lo, hi)
        taken = {s.ts for s in opp.steps} | {t for t, _ in opp.forecast_overrides}
        while ts in taken:
            ts += 1
        return ts

    def _date_in(self, first: date, last: date) -> date:
        d = first + timedelta(days=self.rng.randint(0, (last - first).days))
        return min(month_end(d), last) if self.rng.random() < 0.3 else d

    def _insert(self, opp: Opp, i: int, step: Step, steps_after: list[Step]) -> None:
        if opp.original_steps is None:
            opp.original_steps = list(opp.steps)
        opp.steps = [*opp.steps[: i + 1], step, *steps_after]

    def push(self, opp: Opp, window: Window, q: Quarter, quarters_ahead: int = 0) -> None:
        i = window[0]
        t = self._time(opp, window, late=True)
        ahead = quarters_ahead or (2 if self.rng.random() < PUSH_TWO_QUARTERS else 1)
        target = add_quarters(q[0], ahead)
        old = opp.steps[i]
        close = self._date_in(target, add_quarters(target, 1) - timedelta(days=1))
        delta = close - old.close_date
        after: list[Step] = []
        shifting = True
        for s in opp.steps[i + 1 :]:
            shifting = shifting and not s.stage.is_closed
            after.append(replace(s, close_date=s.close_date + delta) if shifting else s)
        self._insert(opp, i, replace(old, ts=t, close_date=close, added=True), after)

    def pull(self, opp: Opp, window: Window, q: Quarter) -> bool:
        i = window[0]
        t = self._time(opp, window)
        first, last = to_date(t) + timedelta(days=1), q[1] - timedelta(days=1)
        if first > last:
            return False
        close = self._date_in(first, last)
        old = opp.steps[i]
        self._insert(opp, i, replace(old, ts=t, close_date=close, added=True), opp.steps[i + 1 :])
        return True

    def revise(self, opp: Opp, window: Window, cut: bool | None = None) -> bool:
        """The amount the deal has at ``i`` becomes the revised one; the rows before, back to
        the last change of amount, carry the amount it had before (the final state stays)."""
        rng, steps, i = self.rng, opp.steps, window[0]
        amount = steps[i].amount
        assert amount is not None
        k = i
        while k > 0 and steps[k - 1].amount == amount:
            k -= 1
        if cut is None:
            cut = rng.random() < AMOUNT_CUT
        factor = rng.uniform(1.1, 1.6) if cut else rng.uniform(0.6, 0.9)
        before = max(50_000, round(amount * factor / 50_000) * 50_000)
        previous = steps[k - 1].amount if k > 0 else None
        if before in (amount, previous):
            return False
        t = self._time(opp, window)
        if opp.original_steps is None:
            opp.original_steps = list(steps)
        opp.steps = [
            *steps[:k],
            *(replace(s, amount=before) for s in steps[k : i + 1]),
            replace(steps[i], ts=t, added=True),
            *steps[i + 1 :],
        ]
        return True


def _free(opp: Opp) -> bool:
    return not opp.case and not opp.forecast_case and opp.deleted_at is None and opp.has_history


def add_movements(rng: random.Random, opps: list[Opp], tl: Timeline) -> None:
    now = tl.now
    qs = quarters(tl.as_of)
    mover = Mover(rng, now)
    eligible = [o for o in opps if _free(o)]
    forced = _forced_cases(mover, eligible, qs)
    pushed: set[str] = set()
    for n, q in enumerate(qs):
        current = n == len(qs) - 1
        pulled = False
        for opp in eligible:
            if opp.id in forced:
                continue
            windows = push_windows(opp, q, now)
            share = PUSH_AGAIN_SHARE if opp.id in pushed else PUSH_SHARE
            share *= CURRENT_QUARTER_FACTOR if current else 1.0
            if windows and rng.random() < share:
                mover.push(opp, rng.choice(windows), q)
                pushed.add(opp.id)
            else:
                windows = pull_windows(opp, q, now, current)
                if windows:
                    w = rng.choice(windows)
                    following = opp.steps[w[0] + 1] if w[0] + 1 < len(opp.steps) else None
                    won = following is not None and following.stage.is_won
                    if rng.random() < (PULL_THEN_WON_SHARE if won else PULL_OTHER_SHARE):
                        pulled = mover.pull(opp, w, q) or pulled
            windows = amount_windows(opp, q, now)
            if windows and rng.random() < AMOUNT_SHARE:
                mover.revise(opp, rng.choice(windows))
        if not pulled:  # at least one pull-in per quarter, at every scale
            for opp in eligible:
                windows = [] if opp.id in forced else pull_windows(opp, q, now, current)
                if windows and mover.pull(opp, windows[-1], q):
                    break


def _forced_cases(mover: Mover, opps: list[Opp], qs: list[Quarter]) -> set[str]:
    """Tagged cases in the last full quarter (``qs[-2]``), at every scale."""
    last_full, before = qs[-2], qs[-3]
    now = mover.now
    done: set[str] = set()

    def pick(case: str, attempt: Callable[[Opp], bool]) -> None:
        for opp in opps:
            if opp.id in done:
                continue
            saved = (opp.steps, opp.original_steps)
            if attempt(opp):
                opp.movement_case = case
                done.add(opp.id)
                return
            opp.steps, opp.original_steps = saved

    def pushed_out(opp: Opp) -> bool:
        windows = push_windows(opp, last_full, now)
        if not windows:
            return False
        mover.push(opp, windows[-1], last_full, quarters_ahead=1)
        return True

    def slipped_twice(opp: Opp) -> bool:
        closed = opp.closed_at
        windows = push_windows(opp, before, now)
        if not windows or (closed is not None and closed < at(last_full[1])):
            return False
        mover.push(opp, windows[-1], before, quarters_ahead=1)
        windows = push_windows(opp, last_full, now)
        if not windows:
            return False
        mover.push(opp, windows[-1], last_full, quarters_ahead=1)
        return True

    def pulled_in_then_won(opp: Opp) -> bool:
        windows = [
            w
            for w in pull_windows(opp, last_full, now, current=False)
            if opp.steps[w[0] + 1].stage.is_won
        ]
        return bool(windows) and mover.pull(opp, windows[-1], last_full)

    def amount_cut(opp: Opp) -> bool:
        windows = amount_windows(opp, last_full, now)
        return bool(windows) and mover.revise(opp, windows[-1], cut=True)

    pick(PUSHED_OUT, pushed_out)
    pick(SLIPPED_TWICE, slipped_twice)
    pick(PULLED_IN_THEN_WON, pulled_in_then_won)
    pick(AMOUNT_CUT_CASE, amount_cut)
    return done
