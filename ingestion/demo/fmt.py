"""Values written exactly as the exports write them (see ``shared/spec/sources.md``).

Times are whole seconds since the Unix epoch, UTC; money is integer cents, so nothing here
depends on float rounding and the output is byte-for-byte reproducible. Salesforce datetimes get
their milliseconds from the second they are written for (``millis``).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

EPOCH = date(1970, 1, 1)
MINUTE = 60
HOUR = 3_600
DAY = 86_400


def day_number(d: date) -> int:
    """Days since the epoch."""
    return (d - EPOCH).days


def at(d: date, seconds: int = 0) -> int:
    """Timestamp of ``d`` at ``seconds`` after midnight UTC."""
    return day_number(d) * DAY + seconds


def to_date(ts: int) -> date:
    return EPOCH + timedelta(days=ts // DAY)


@cache
def _iso_day(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


def sf_date(d: date | None) -> str:
    """``YYYY-MM-DD``; empty for NULL."""
    return "" if d is None else d.isoformat()


@cache
def _clock(second_of_day: int) -> str:
    hours, rem = divmod(second_of_day, HOUR)
    minutes, seconds = divmod(rem, MINUTE)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


# The millisecond part per second of the minute: a fixed function of the timestamp, so equal
# seconds stay equal, different seconds keep their order (it is below 1000), and differences of
# whole minutes stay exact (a meeting's EndDateTime - StartDateTime = DurationInMinutes).
# Whole minutes and two other seconds of each minute keep ``.000``.
_rng = random.Random("spm-demo:millis")
_MILLIS = tuple(0 if s % 20 == 0 else _rng.randrange(1, 1000) for s in range(MINUTE))
del _rng


def millis(ts: int) -> int:
    """The milliseconds Salesforce writes with the whole-second time ``ts``."""
    return _MILLIS[ts % MINUTE]


def exact_millis(start: int, end: int) -> int:
    """``end - start`` in milliseconds as the written datetimes say."""
    return 1000 * (end - start) + millis(end) - millis(start)


def sf_datetime(ts: int | None) -> str:
    """Salesforce datetime: ``2025-03-04T15:22:10.123Z``; empty for NULL."""
    if ts is None:
        return ""
    day, sec = divmod(ts, DAY)
    return f"{_iso_day(day)}T{_clock(sec)}.{_MILLIS[ts % MINUTE]:03d}Z"


def iso_utc(ts: int) -> str:
    """ISO 8601 UTC without fractional seconds, as survey tools export it."""
    day, sec = divmod(ts, DAY)
    return f"{_iso_day(day)}T{_clock(sec)}Z"


def file_stamp(ts: int) -> str:
    """``20261124T020000Z``: sorts chronologically as text."""
    return iso_utc(ts).replace("-", "").replace(":", "")


def sf_bool(value: bool) -> str:
    return "true" if value else "false"


def money(cents: int | None) -> str:
    """``45000`` or ``12345.67``: a dot, no thousands separator, at most two decimals."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:02d}".rstrip("0")


def hundredths(value: int) -> str:
    """A number stored in hundredths (``3334`` -> ``33.34``, ``6000`` -> ``60``)."""
    return money(value)
