"""Every ``SPM_*`` environment variable, checked before any work starts.

One parser per kind of value: each takes the variable's name and raw value (``None`` when
unset) and returns the parsed value or raises :class:`ConfigurationError` with one line naming
the variable, its value and the accepted form. The readers elsewhere call the same parsers, so
each rule is defined once. :func:`validate_environment` returns every problem at once;
:func:`check_environment` raises them together. Plain functions only (no Dagster definitions),
so the demo CLI can use them too; DuckDB and Dagster are imported only by the checks that need
them.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]

LANDING_DIR_VARIABLE = "SPM_LANDING_DIR"
WAREHOUSE_VARIABLE = "SPM_WAREHOUSE"
BI_DATABASE_VARIABLE = "SPM_BI_DATABASE"
AS_OF_DATE_VARIABLE = "SPM_AS_OF_DATE"
MAX_REJECT_RATE_VARIABLE = "SPM_MAX_REJECT_RATE"
MEMORY_LIMIT_VARIABLE = "SPM_DUCKDB_MEMORY_LIMIT"
CRON_VARIABLE = "SPM_NIGHTLY_CRON"
SETTLE_VARIABLE = "SPM_LANDING_SETTLE_SECONDS"
WEBHOOK_VARIABLE = "SPM_ALERT_WEBHOOK"
DBT_TARGET_VARIABLE = "SPM_DBT_TARGET"

PATH_DEFAULTS = {
    LANDING_DIR_VARIABLE: "data/landing",
    WAREHOUSE_VARIABLE: "data/warehouse/spm.duckdb",
    BI_DATABASE_VARIABLE: "data/bi/spm.duckdb",
}
DEFAULT_MAX_REJECT_RATE = 0.01
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_CRON = "0 2 * * *"
DEFAULT_SETTLE_SECONDS = 60.0
# The outputs of dbt_project/profiles.yml (tests/test_settings_validation.py keeps them equal).
DBT_TARGETS = ("duckdb", "spark")

# Variables of the opt-in Spark target (dbt_project/profiles.yml, docs/scale_out.md).
SPARK_DIR_DEFAULTS = {
    "SPM_RAW_PARQUET_DIR": "data/raw_parquet",
    "SPM_SPARK_WAREHOUSE_DIR": "data/spark",
}
# Named in docs/scale_out.md for a cluster profile a deployment writes itself: free-form.
UNCHECKED_VARIABLES = frozenset({"SPM_SPARK_HOST", "SPM_SPARK_USER"})

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


def parse_http_url(name: str, value: str | None) -> str | None:
    """An ``http://`` or ``https://`` URL with a host; ``None`` when unset or blank."""
    text = (value or "").strip()
    if not text:
        return None
    expected = "an http:// or https:// URL (e.g. https://hooks.example.com/alert), or empty"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise _problem(name, value, "URL", expected) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", text):
        raise _problem(name, value, "URL", expected)
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


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


# ------------------------------------------------------------------------------ environment


def _parsers(root: Path) -> dict[str, Callable[[str | None], object]]:
    """Every known variable and how its value is parsed."""
    parsers: dict[str, Callable[[str | None], object]] = {
        LANDING_DIR_VARIABLE: lambda v: parse_path(
            LANDING_DIR_VARIABLE, v, PATH_DEFAULTS[LANDING_DIR_VARIABLE], "folder", root
        ),
        WAREHOUSE_VARIABLE: lambda v: parse_path(
            WAREHOUSE_VARIABLE, v, PATH_DEFAULTS[WAREHOUSE_VARIABLE], "file", root
        ),
        BI_DATABASE_VARIABLE: lambda v: parse_path(
            BI_DATABASE_VARIABLE, v, PATH_DEFAULTS[BI_DATABASE_VARIABLE], "file", root
        ),
        AS_OF_DATE_VARIABLE: lambda v: parse_date(AS_OF_DATE_VARIABLE, v),
        MAX_REJECT_RATE_VARIABLE: lambda v: parse_fraction(
            MAX_REJECT_RATE_VARIABLE, v, DEFAULT_MAX_REJECT_RATE
        ),
        MEMORY_LIMIT_VARIABLE: lambda v: parse_memory_limit(
            MEMORY_LIMIT_VARIABLE, v, DEFAULT_MEMORY_LIMIT
        ),
        CRON_VARIABLE: lambda v: parse_cron(CRON_VARIABLE, v, DEFAULT_CRON),
        SETTLE_VARIABLE: lambda v: parse_seconds(SETTLE_VARIABLE, v, DEFAULT_SETTLE_SECONDS),
        WEBHOOK_VARIABLE: lambda v: parse_http_url(WEBHOOK_VARIABLE, v),
        DBT_TARGET_VARIABLE: lambda v: parse_choice(DBT_TARGET_VARIABLE, v, DBT_TARGETS, "duckdb"),
        "SPM_SPARK_MASTER": lambda v: parse_spark_master("SPM_SPARK_MASTER", v),
        "SPM_SPARK_DRIVER_MEMORY": lambda v: parse_jvm_memory("SPM_SPARK_DRIVER_MEMORY", v),
        "SPM_SPARK_SCHEMA": lambda v: parse_identifier("SPM_SPARK_SCHEMA", v, "spm"),
        "SPM_SPARK_THREADS": lambda v: parse_positive_int("SPM_SPARK_THREADS", v, 2),
        "SPM_SPARK_SHUFFLE_PARTITIONS": lambda v: parse_positive_int(
            "SPM_SPARK_SHUFFLE_PARTITIONS", v, 4
        ),
        # The opt-in Spark test (tests/test_scale_out_spark.py, `make test-spark`).
        "SPM_TEST_SPARK": lambda v: parse_flag("SPM_TEST_SPARK", v),
    }
    for variable, default in SPARK_DIR_DEFAULTS.items():
        parsers[variable] = lambda v, variable=variable, default=default: parse_path(
            variable, v, default, "folder", root
        )
    return parsers


KNOWN_VARIABLES = frozenset(_parsers(PROJECT_ROOT)) | UNCHECKED_VARIABLES


def validate_environment(environ: Mapping[str, str], root: Path = PROJECT_ROOT) -> list[str]:
    """Every problem with the ``SPM_*`` variables of ``environ``, one line each."""
    problems: list[str] = []
    parsed: dict[str, object] = {}
    for variable, parse in _parsers(root).items():
        try:
            parsed[variable] = parse(environ.get(variable))
        except ConfigurationError as error:
            problems += error.problems
    files = {
        variable: parsed[variable]
        for variable in (LANDING_DIR_VARIABLE, WAREHOUSE_VARIABLE, BI_DATABASE_VARIABLE)
        if variable in parsed
    }
    pairs = [
        (WAREHOUSE_VARIABLE, BI_DATABASE_VARIABLE, "the published copy must be another file"),
        (LANDING_DIR_VARIABLE, WAREHOUSE_VARIABLE, "the landing folder cannot be a file"),
        (LANDING_DIR_VARIABLE, BI_DATABASE_VARIABLE, "the landing folder cannot be a file"),
    ]
    for first, second, why in pairs:
        if first in files and second in files and _same(files[first], files[second]):
            value = environ.get(second, PATH_DEFAULTS[second])
            problems.append(
                f"{second}={value!r} is the same path as {first} ({files[first]}): {why}; "
                f"expected a path of its own (default {PATH_DEFAULTS[second]})"
            )
    return problems


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``SPM_*`` names nothing reads (a typo, most likely), with the closest known name."""
    notes = []
    for name in sorted(environ):
        if name.startswith("SPM_") and name not in KNOWN_VARIABLES:
            close = difflib.get_close_matches(name, sorted(KNOWN_VARIABLES), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            notes.append(f"{name} is set but nothing reads it{hint}")
    return notes


def check_environment(environ: Mapping[str, str] | None = None, root: Path = PROJECT_ROOT) -> None:
    """Raise :class:`ConfigurationError` listing every problem; warn about unknown names."""
    environ = os.environ if environ is None else environ
    for note in unknown_variables(environ):
        warnings.warn(note, stacklevel=2)
    problems = validate_environment(environ, root)
    if problems:
        raise ConfigurationError(problems)
