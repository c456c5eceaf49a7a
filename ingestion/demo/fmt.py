"""Values written exactly as the exports write them (see ``shared/spec/sources.md``).

Times are whole seconds since the Unix epoch, UTC; money is integer cents, so nothing here
depends on float rounding and the output is byte-for-byte reproducible.
"""

from __future__ import annotations

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


def sf_datetime(ts: int | None) -> str:
    """Salesforce datetime: ``2025-03-04T15:22:10.000Z``; empty for NULL."""
    if ts is None:
        return ""
    day, sec = divmod(ts, DAY)
    return f"{_iso_day(day)}T{_clock(sec)}.000Z"


def iso_utc(ts: int) -> str:
    """ISO 8601 UTC without fractional seconds, as survey tools export it."""
    return sf_datetime(ts).replace(".000Z", "Z")


def file_stamp(ts: int) -> str:
    """``20261124T020000Z``: sorts chronologically as text."""
    return sf_datetime(ts).replace("-", "").replace(":", "").replace(".000", "")


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
