"""Parsers of setting values, one per kind of value (date, share, path, cron, URL, ...).

Each takes the variable's name and raw value (``None`` when unset) and returns the parsed value
or raises :class:`ConfigurationError` with one line naming the variable, its value and the
accepted form. They read no environment: ``spm_common/settings.py`` knows the ``SPM_*``
variables and which parser each one gets. DuckDB and Dagster are imported only by the parsers
that need them, so the demo CLI can use these too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from spm_common.paths import PROJECT_ROOT

EXAMPLE_DATE = "2026-11-26"


class ConfigurationError(ValueError):
    """One or more settings are invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} SPM_* settings are invalid:\n" + "\n".join(
                f"  - {problem}" for problem in self.problems
            )
        super().__init__(message)


def _problem(name: str, value: str | None, what: str, expected: str) -> ConfigurationError:
    return ConfigurationError([f"{name}={value!r} is not a valid {what}: expected {expected}"])


def resolve_path(value: str, root: Path = PROJECT_ROOT) -> Path:
    """``value`` with ``~`` expanded; a relative path is relative to ``root`` (the repo root)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


# ---------------------------------------------------------------------------------- parsers


def parse_date(name: str, value: str | None) -> date | None:
    """``YYYY-MM-DD`` and a real date; ``None`` (meaning today) when unset or empty."""
    if not value:
        return None
    expected = f"YYYY-MM-DD (e.g. {EXAMPLE_DATE}), or empty for today"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _problem(name, value, "date", expected)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _problem(name, value, "date", expected) from None


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_fraction(name: str, value: str | None, default: float) -> float:
    """A number from 0 to 1; ``default`` when unset or blank."""
    text = (value or "").strip()
    if not text:
        return default
    number = _number(text)
    if number is None or not 0 <= number <= 1:
        expected = f"a number from 0 to 1 (e.g. 0.01 for 1 %), or empty for {default:g}"
        raise _problem(name, value, "share", expected)
    return number


def parse_seconds(name: str, value: str | None, default: float) -> float:
    """A number of seconds >= 0; ``default`` when unset or blank."""
    text = (value or "").strip()
    if not text:
        return default
    number = _number(text)
    if number is None or number < 0:
        expected = f"a number of seconds >= 0 (e.g. 60), or empty for {default:g}"
        raise _problem(name, value, "number of seconds", expected)
    return number


def _matching(name: str, value: str, pattern: str, what: str, expected: str) -> str:
    """``value`` when it matches ``pattern`` as a whole (case-insensitive), else the problem."""
    if not re.fullmatch(pattern, value, re.IGNORECASE):
        raise _problem(name, value, what, expected)
    return value


def parse_positive_int(name: str, value: str | None, default: int) -> int:
    """A whole number >= 1; ``default`` when unset. Set but blank is a problem (dbt reads it)."""
    if value is None:
        return default
    expected = f"a whole number >= 1 (e.g. {default}), or unset for {default}"
    return int(_matching(name, value.strip(), r"[1-9]\d*", "positive whole number", expected))


def parse_choice(name: str, value: str | None, choices: Sequence[str], default: str) -> str:
    """One of ``choices``; ``default`` when unset. Set but blank is a problem (dbt reads it)."""
    if value is None:
        return default
    if value not in choices:
        expected = f"one of {', '.join(choices)}, or unset for {default}"
        raise _problem(name, value, "choice", expected)
    return value


# DuckDB's memory sizes (DBConfig::ParseMemoryLimit): a number, optional spaces, a unit in any
# case. Its "unlimited" spellings (none, null, negative numbers) are not accepted here: the
# limit is what keeps DuckDB from growing to 80 % of the machine's memory.
_MEMORY_UNITS = (
    "b|bytes?|k|kb|kilobytes?|m|mb|megabytes?|g|gb|gigabytes?|t|tb|terabytes?|kib|mib|gib|tib|%"
)
_MEMORY_SIZE = re.compile(rf"\s*(\d+(\.\d*)?|\.\d+)\s*({_MEMORY_UNITS})\s*", re.IGNORECASE)
MEMORY_LIMIT_FORM = (
    "a DuckDB memory size: a number and a unit (KB, MB, GB, TB, or KiB, MiB, GiB, TiB; any case)"
    " or a percentage of the machine's memory, e.g. 1GB, 512MB, 2GiB, 80%"
)


@lru_cache(maxsize=32)
def _duckdb_refuses(memory_limit: str) -> str | None:
    """DuckDB's own error for this limit (0, too small for a tiny table, over 100 %), if any.

    An in-memory database opened as the pipeline opens its connections, then a 1,000-row table.
    """
    import duckdb

    try:
        with duckdb.connect(config={"memory_limit": memory_limit}) as con:
            con.execute("create table probe as select range as i from range(1000)")
    except duckdb.Error as error:
        return str(error).splitlines()[0]
    return None


def parse_memory_limit(name: str, value: str | None, default: str) -> str:
    """A memory size DuckDB accepts (see ``MEMORY_LIMIT_FORM``); ``default`` when unset or empty.

    Only exactly empty means the default: dbt's profile reads the variable too and does not
    strip it.
    """
    if not value:
        return default
    expected = f"{MEMORY_LIMIT_FORM}; or empty for {default}"
    if not _MEMORY_SIZE.fullmatch(value):
        raise _problem(name, value, "memory limit", expected)
    refusal = _duckdb_refuses(value)
    if refusal:
        raise _problem(name, value, "memory limit", f"{expected} (DuckDB: {refusal})")
    return value


def parse_cron(name: str, value: str | None, default: str) -> str:
    """A cron string Dagster's schedules accept (5 fields or @daily etc.); default when blank."""
    from dagster._utils.schedules import is_valid_cron_string

    text = (value or "").strip()
    if not text:
        return default
    if not is_valid_cron_string(text):
        expected = (
            "a cron string of 5 fields: minute hour day-of-month month day-of-week "
            f"(e.g. '30 4 * * 1-5', '@daily'), or empty for '{default}'"
        )
        raise _problem(name, value, "cron schedule", expected)
    return text


def redacted_url(url: str) -> str:
    """A URL as it may be logged: scheme and host only. A webhook's path and query are its
    secret (whoever has them can post to the channel)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https"):
        return "<a URL, not shown>"
    return f"{parts.scheme}://{host}/..."


def parse_http_url(name: str, value: str | None) -> str | None:
    """An ``http://`` or ``https://`` URL with a host; ``None`` when unset or blank. A problem
    shows the value redacted (:func:`redacted_url`)."""
    text = (value or "").strip()
    if not text:
        return None
    expected = "an http:// or https:// URL (e.g. https://hooks.example.com/alert), or empty"
    shown = redacted_url(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise _problem(name, shown, "URL", expected) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", text):
        raise _problem(name, shown, "URL", expected)
    return text


_SPARK_MASTER = re.compile(
    r"local(\[([1-9]\d*|\*)(,[1-9]\d*)?\])?"
    r"|local-cluster\[[1-9]\d*,[1-9]\d*,[1-9]\d*\]"
    r"|yarn"
    r"|(spark|k8s|mesos)://\S+"
)


def parse_spark_master(name: str, value: str | None, default: str = "local[2]") -> str:
    if value is None:
        return default
    if not _SPARK_MASTER.fullmatch(value):
        expected = (
            "a Spark master URL: local, local[N], local[*], spark://host:port, yarn, "
            f"k8s://..., or unset for {default}"
        )
        raise _problem(name, value, "Spark master", expected)
    return value


def parse_jvm_memory(name: str, value: str | None, default: str = "4g") -> str:
    """A JVM memory size as Spark reads it: a whole number and an optional unit (k, m, g, t)."""
    if value is None:
        return default
    expected = f"a whole number and a unit, e.g. 4g, 512m, 2gb; or unset for {default}"
    return _matching(name, value, r"[1-9]\d*([kmgtp]b?|b)?", "Spark memory size", expected)


def parse_identifier(name: str, value: str | None, default: str) -> str:
    if value is None:
        return default
    expected = f"letters, digits and _, not starting with a digit; or unset for {default}"
    return _matching(name, value, r"[a-z_][a-z0-9_]*", "schema name", expected)


def parse_flag(name: str, value: str | None) -> bool:
    """``1`` is on; unset, empty or ``0`` is off."""
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    raise _problem(name, value, "switch", "1 (on), or 0 or empty (off)")


def _path_form(kind: str, default: str) -> str:
    return (
        f"expected a {kind} path, absolute or relative to the repository root "
        f"(e.g. {default}), or unset for {default}"
    )


def _path_problem(name: str, value: str, kind: str, default: str, why: str) -> ConfigurationError:
    expected = _path_form(kind, default)
    return ConfigurationError([f"{name}={value!r} is not a valid {kind} path: {why}; {expected}"])


def parse_path(
    name: str,
    value: str | None,
    default: str,
    kind: str,
    root: Path = PROJECT_ROOT,
) -> Path:
    """A ``kind`` ("folder" or "file") path, resolved against ``root``.

    Unset means ``default``; set but blank is a problem. The path must not exist as the other
    kind, and no existing ancestor may be a file (it could not be created).
    """
    if value is None:
        value = default
    if not value.strip():
        raise _path_problem(name, value, kind, default, "it is blank")
    path = resolve_path(value, root)
    if kind == "folder" and path.exists() and not path.is_dir():
        raise _path_problem(name, value, kind, default, f"{path} is an existing file")
    if kind == "file" and path.is_dir():
        raise _path_problem(name, value, kind, default, f"{path} is an existing folder")
    for ancestor in path.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                why = f"{ancestor} is an existing file, so {path} cannot be created"
                raise _path_problem(name, value, kind, default, why)
            break
    return path


def parse_group(name: str, value: str | None) -> int | None:
    """A local group (name or number) that may read what the pipeline writes; ``None`` when
    unset or blank (owner only)."""
    import grp  # POSIX only, like the file modes it is for

    text = (value or "").strip()
    if not text:
        return None
    try:
        return grp.getgrgid(int(text)).gr_gid if text.isdigit() else grp.getgrnam(text).gr_gid
    except KeyError:
        expected = "the name or number of a local group (getent group), or empty for owner only"
        raise _problem(name, value, "group", expected) from None
