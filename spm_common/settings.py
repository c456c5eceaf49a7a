"""Every ``SPM_*`` environment variable: its default, its check, and the only place it is read.

Nothing else in the project reads an ``SPM_*`` variable: the code location, the resources, the
schedule, the sensors and the command-line tools get their values from here.

- :func:`check_environment` runs first when the code location loads: every variable is parsed
  (``spm_common/config_values.py``) and all problems are reported together, before
  anything is read or written; an ``SPM_*`` name nothing reads is a warning.
- The Dagster resources built from these variables (``SpmSettings``, ``SparkSettings``) are in
  ``orchestration/defs/resources.py``; this module imports neither Dagster nor DuckDB.
- One function per other value, read when it is needed (a check's run, a sensor's tick), so the
  environment of that process decides: :func:`max_reject_rate`, :func:`duckdb_memory_limit`,
  :func:`nightly_cron`, :func:`settle_seconds`, :func:`alert_webhook`, :func:`statements_dir`.

Relative paths are relative to the repository root, so the orchestrator, dbt's profile and the
Makefile agree on where things are whatever the working directory.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from spm_common.config_values import (
    PROJECT_ROOT,
    ConfigurationError,
    parse_choice,
    parse_cron,
    parse_date,
    parse_flag,
    parse_fraction,
    parse_group,
    parse_http_url,
    parse_identifier,
    parse_jvm_memory,
    parse_memory_limit,
    parse_path,
    parse_positive_int,
    parse_seconds,
    parse_spark_master,
    resolve_path,
)

LANDING_DIR_VARIABLE = "SPM_LANDING_DIR"
WAREHOUSE_VARIABLE = "SPM_WAREHOUSE"
BI_DATABASE_VARIABLE = "SPM_BI_DATABASE"
LEDGER_DATABASE_VARIABLE = "SPM_LEDGER_DATABASE"
AS_OF_DATE_VARIABLE = "SPM_AS_OF_DATE"
MAX_REJECT_RATE_VARIABLE = "SPM_MAX_REJECT_RATE"
MEMORY_LIMIT_VARIABLE = "SPM_DUCKDB_MEMORY_LIMIT"
CRON_VARIABLE = "SPM_NIGHTLY_CRON"
SETTLE_VARIABLE = "SPM_LANDING_SETTLE_SECONDS"
RUN_LOCK_TIMEOUT_VARIABLE = "SPM_RUN_LOCK_TIMEOUT_SECONDS"
FILE_GROUP_VARIABLE = "SPM_FILE_GROUP"
WEBHOOK_VARIABLE = "SPM_ALERT_WEBHOOK"
DBT_TARGET_VARIABLE = "SPM_DBT_TARGET"
STATEMENTS_DIR_VARIABLE = "SPM_STATEMENTS_DIR"
SCALE_OUT_VARIABLE = "SPM_SCALE_OUT"
SCALE_OUT_CRON_VARIABLE = "SPM_SCALE_OUT_CRON"
BI_SALES_OPS_VARIABLE = "SPM_BI_SALES_OPS_DEPARTMENTS"

PATH_DEFAULTS = {
    LANDING_DIR_VARIABLE: "data/landing",
    WAREHOUSE_VARIABLE: "data/warehouse/spm.duckdb",
    BI_DATABASE_VARIABLE: "data/bi/spm.duckdb",
    # The payout ledger: locked commission statements, never rebuilt (docs/operations.md).
    LEDGER_DATABASE_VARIABLE: "data/ledger/spm_ledger.duckdb",
}
DEFAULTS = {**PATH_DEFAULTS, AS_OF_DATE_VARIABLE: ""}
DEFAULT_MAX_REJECT_RATE = 0.01
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_CRON = "0 2 * * *"
DEFAULT_SETTLE_SECONDS = 60.0
# How long a run waits for another run holding the same warehouse before it fails.
DEFAULT_RUN_LOCK_TIMEOUT_SECONDS = 900.0
# HRIS departments whose people get Superset's Sales Ops role (every row): bi/README.md.
DEFAULT_SALES_OPS_DEPARTMENTS = ("Sales Operations",)
# The scale-out job runs after the nightly one (one run at a time: dagster.yaml).
DEFAULT_SCALE_OUT_CRON = "0 4 * * *"
# Commission statements go to `statements/` beside the BI file's folder (`data/statements`) unless
# SPM_STATEMENTS_DIR is set: next to the published file they are rendered from, so pointing
# SPM_BI_DATABASE into a temporary folder keeps them there too, and the BI folder holds only
# the BI file.
STATEMENTS_FOLDER_NAME = "statements"
REPLACED_FOLDERS = (STATEMENTS_DIR_VARIABLE,)
# The outputs of dbt_project/profiles.yml (tests/unit/test_settings_validation.py keeps them equal):
# the pipeline's, Spark's (docs/scale_out.md) and MetricFlow's read-only view of the BI file.
DBT_TARGETS = ("duckdb", "spark", "bi")

# Variables of the Spark target (dbt_project/profiles.yml, docs/scale_out.md): the scale-out
# job's SparkSettings resource (its field, the variable, the default); dbt reads them through
# its profile, from the environment the job gives the dbt subprocess.
SPARK_VARIABLES = {
    "raw_parquet_dir": ("SPM_RAW_PARQUET_DIR", "data/raw_parquet"),
    "spark_dir": ("SPM_SPARK_WAREHOUSE_DIR", "data/spark"),
    "master": ("SPM_SPARK_MASTER", "local[2]"),
    "driver_memory": ("SPM_SPARK_DRIVER_MEMORY", "4g"),
    "target_schema": ("SPM_SPARK_SCHEMA", "spm"),
    "threads": ("SPM_SPARK_THREADS", "2"),
    "shuffle_partitions": ("SPM_SPARK_SHUFFLE_PARTITIONS", "4"),
}
SPARK_DIR_DEFAULTS = {
    variable: default
    for field, (variable, default) in SPARK_VARIABLES.items()
    if field in ("raw_parquet_dir", "spark_dir")
}
# Named in docs/scale_out.md for a cluster profile a deployment writes itself: free-form.
UNCHECKED_VARIABLES = frozenset({"SPM_SPARK_HOST", "SPM_SPARK_USER"})

# SpmSettings fields and the variables they come from.
SETTINGS_VARIABLES = {
    "landing_dir": LANDING_DIR_VARIABLE,
    "warehouse": WAREHOUSE_VARIABLE,
    "bi_database": BI_DATABASE_VARIABLE,
    "ledger_database": LEDGER_DATABASE_VARIABLE,
    "as_of_date": AS_OF_DATE_VARIABLE,
}


# ----------------------------------------------------------------------- values, as needed


def _read(name: str) -> str | None:
    return os.environ.get(name)


def is_set(name: str) -> bool:
    """Whether the variable is set to a non-empty value (else its default applies)."""
    return bool(_read(name))


def env_value(name: str) -> str:
    """A path or date variable's value, or its documented default (outside a Dagster run)."""
    return _read(name) or DEFAULTS[name]


def env_path(name: str) -> Path:
    """A path variable (``SPM_LANDING_DIR``, ``SPM_WAREHOUSE``, ``SPM_BI_DATABASE``), resolved."""
    return resolve_path(env_value(name))


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection of the pipeline (and dbt's profile): DuckDB
    spills to disk beyond it instead of growing to 80 % of the machine's memory."""
    return parse_memory_limit(
        MEMORY_LIMIT_VARIABLE, _read(MEMORY_LIMIT_VARIABLE), DEFAULT_MEMORY_LIMIT
    )


def max_reject_rate() -> float:
    """The share of an object's rows that may be rejected (0 to 1) before its check blocks."""
    return parse_fraction(
        MAX_REJECT_RATE_VARIABLE, _read(MAX_REJECT_RATE_VARIABLE), DEFAULT_MAX_REJECT_RATE
    )


def nightly_cron() -> str:
    return parse_cron(CRON_VARIABLE, _read(CRON_VARIABLE), DEFAULT_CRON)


def settle_seconds() -> float:
    return parse_seconds(SETTLE_VARIABLE, _read(SETTLE_VARIABLE), DEFAULT_SETTLE_SECONDS)


def run_lock_timeout_seconds() -> float:
    return parse_seconds(
        RUN_LOCK_TIMEOUT_VARIABLE,
        _read(RUN_LOCK_TIMEOUT_VARIABLE),
        DEFAULT_RUN_LOCK_TIMEOUT_SECONDS,
    )


def file_group() -> int | None:
    """The group id that may read the pipeline's files (``SPM_FILE_GROUP``), else None."""
    return parse_group(FILE_GROUP_VARIABLE, _read(FILE_GROUP_VARIABLE))


def parse_departments(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of HRIS department names; the default when unset or blank."""
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    return names or DEFAULT_SALES_OPS_DEPARTMENTS


def sales_ops_departments() -> tuple[str, ...]:
    return parse_departments(_read(BI_SALES_OPS_VARIABLE))


def as_of_date() -> date | None:
    """``SPM_AS_OF_DATE``, or None (meaning today)."""
    return parse_date(AS_OF_DATE_VARIABLE, _read(AS_OF_DATE_VARIABLE))


def alert_webhook() -> str | None:
    """The URL failure alerts are POSTed to; ``None`` when unset or blank."""
    return parse_http_url(WEBHOOK_VARIABLE, _read(WEBHOOK_VARIABLE))


def scale_out_enabled() -> bool:
    """``SPM_SCALE_OUT=1``: the code location carries the Spark scale-out job
    (``orchestration/defs/scale_out``), which needs the spark extra and Java."""
    return parse_flag(SCALE_OUT_VARIABLE, _read(SCALE_OUT_VARIABLE))


def scale_out_cron() -> str:
    return parse_cron(
        SCALE_OUT_CRON_VARIABLE, _read(SCALE_OUT_CRON_VARIABLE), DEFAULT_SCALE_OUT_CRON
    )


def default_statements_dir(bi_database: Path) -> Path:
    return bi_database.parent.parent / STATEMENTS_FOLDER_NAME


def statements_dir(bi_database: Path | None = None) -> Path:
    """Where commission statements are written: ``SPM_STATEMENTS_DIR``, else ``statements/``
    beside the folder of ``bi_database`` (default: ``SPM_BI_DATABASE``)."""
    bi_database = bi_database or env_path(BI_DATABASE_VARIABLE)
    default = str(default_statements_dir(bi_database))
    return parse_path(STATEMENTS_DIR_VARIABLE, _read(STATEMENTS_DIR_VARIABLE), default, "folder")


@contextmanager
def exported(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the block (for a subprocess started in it), then the
    previous values back."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# ------------------------------------------------------------------------------ validation


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _parsers(root: Path) -> dict[str, Callable[[str | None], object]]:
    """Every known variable and how its value is parsed."""

    def path(variable: str, default: str, kind: str) -> Callable[[str | None], object]:
        return lambda v: parse_path(variable, v, default, kind, root)

    parsers: dict[str, Callable[[str | None], object]] = {
        LANDING_DIR_VARIABLE: path(
            LANDING_DIR_VARIABLE, PATH_DEFAULTS[LANDING_DIR_VARIABLE], "folder"
        ),
        WAREHOUSE_VARIABLE: path(WAREHOUSE_VARIABLE, PATH_DEFAULTS[WAREHOUSE_VARIABLE], "file"),
        BI_DATABASE_VARIABLE: path(
            BI_DATABASE_VARIABLE, PATH_DEFAULTS[BI_DATABASE_VARIABLE], "file"
        ),
        LEDGER_DATABASE_VARIABLE: path(
            LEDGER_DATABASE_VARIABLE, PATH_DEFAULTS[LEDGER_DATABASE_VARIABLE], "file"
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
        FILE_GROUP_VARIABLE: lambda v: parse_group(FILE_GROUP_VARIABLE, v),
        RUN_LOCK_TIMEOUT_VARIABLE: lambda v: parse_seconds(
            RUN_LOCK_TIMEOUT_VARIABLE, v, DEFAULT_RUN_LOCK_TIMEOUT_SECONDS
        ),
        WEBHOOK_VARIABLE: lambda v: parse_http_url(WEBHOOK_VARIABLE, v),
        DBT_TARGET_VARIABLE: lambda v: parse_choice(DBT_TARGET_VARIABLE, v, DBT_TARGETS, "duckdb"),
        STATEMENTS_DIR_VARIABLE: path(
            STATEMENTS_DIR_VARIABLE,
            str(default_statements_dir(Path(PATH_DEFAULTS[BI_DATABASE_VARIABLE]))),
            "folder",
        ),
        SCALE_OUT_VARIABLE: lambda v: parse_flag(SCALE_OUT_VARIABLE, v),
        BI_SALES_OPS_VARIABLE: parse_departments,
        SCALE_OUT_CRON_VARIABLE: lambda v: parse_cron(
            SCALE_OUT_CRON_VARIABLE, v, DEFAULT_SCALE_OUT_CRON
        ),
        "SPM_SPARK_MASTER": lambda v: parse_spark_master("SPM_SPARK_MASTER", v),
        "SPM_SPARK_DRIVER_MEMORY": lambda v: parse_jvm_memory("SPM_SPARK_DRIVER_MEMORY", v),
        "SPM_SPARK_SCHEMA": lambda v: parse_identifier("SPM_SPARK_SCHEMA", v, "spm"),
        "SPM_SPARK_THREADS": lambda v: parse_positive_int("SPM_SPARK_THREADS", v, 2),
        "SPM_SPARK_SHUFFLE_PARTITIONS": lambda v: parse_positive_int(
            "SPM_SPARK_SHUFFLE_PARTITIONS", v, 4
        ),
        # make test sets it: a missing Spark fails tests/e2e/test_scale_out_spark.py, not skips it.
        "SPM_TEST_SPARK": lambda v: parse_flag("SPM_TEST_SPARK", v),
    }
    for variable, default in SPARK_DIR_DEFAULTS.items():
        parsers[variable] = path(variable, default, "folder")
    return parsers


KNOWN_VARIABLES = frozenset(_parsers(PROJECT_ROOT)) | UNCHECKED_VARIABLES


def spark_values(fields: Mapping[str, str]) -> dict[str, str]:
    """The Spark variables (``SPARK_VARIABLES``) of ``fields`` (field name to raw value), each
    checked by its parser; every problem is raised together."""
    parsers = _parsers(PROJECT_ROOT)
    values = {}
    problems = []
    for field, (variable, _) in SPARK_VARIABLES.items():
        try:
            values[variable] = str(parsers[variable](fields[field]))
        except ConfigurationError as error:
            problems += error.problems
    if problems:
        raise ConfigurationError(problems)
    return values


def validate_environment(environ: Mapping[str, str], root: Path = PROJECT_ROOT) -> list[str]:
    """Every problem with the ``SPM_*`` variables of ``environ``, one line each."""
    problems: list[str] = []
    parsed: dict[str, object] = {}
    for variable, parse in _parsers(root).items():
        try:
            parsed[variable] = parse(environ.get(variable))
        except ConfigurationError as error:
            problems += error.problems
    files = {variable: parsed[variable] for variable in PATH_DEFAULTS if variable in parsed}
    pairs = [
        (WAREHOUSE_VARIABLE, BI_DATABASE_VARIABLE, "the published copy must be another file"),
        (LANDING_DIR_VARIABLE, WAREHOUSE_VARIABLE, "the landing folder cannot be a file"),
        (LANDING_DIR_VARIABLE, BI_DATABASE_VARIABLE, "the landing folder cannot be a file"),
        (WAREHOUSE_VARIABLE, LEDGER_DATABASE_VARIABLE, "the ledger outlives the warehouse"),
        (BI_DATABASE_VARIABLE, LEDGER_DATABASE_VARIABLE, "the ledger is not published"),
        (LANDING_DIR_VARIABLE, LEDGER_DATABASE_VARIABLE, "the landing folder cannot be a file"),
    ]
    # Output folders that are replaced whole must not be the landing folder.
    landing = files.get(LANDING_DIR_VARIABLE)
    for variable in REPLACED_FOLDERS:
        value = environ.get(variable)
        if value and variable in parsed and landing and _same(parsed[variable], landing):
            problems.append(
                f"{variable}={value!r} is the same path as {LANDING_DIR_VARIABLE}: it is "
                "replaced whole at each render; expected a folder of its own (default "
                f"{STATEMENTS_FOLDER_NAME}/ beside the folder of {BI_DATABASE_VARIABLE})"
            )
    if parsed.get(SCALE_OUT_VARIABLE):
        problems += scale_out_prerequisites(environ)
    for first, second, why in pairs:
        if first in files and second in files and _same(files[first], files[second]):
            value = environ.get(second, PATH_DEFAULTS[second])
            problems.append(
                f"{second}={value!r} is the same path as {first} ({files[first]}): {why}; "
                f"expected a path of its own (default {PATH_DEFAULTS[second]})"
            )
    return problems


def scale_out_prerequisites(environ: Mapping[str, str]) -> list[str]:
    """What ``SPM_SCALE_OUT=1`` needs on this machine and is missing: dbt-spark and PySpark
    (``make install-spark``) and a Java runtime (17 or 21) on ``PATH`` or in ``JAVA_HOME``."""
    missing = [
        module
        for module in ("pyspark", "dbt.adapters.spark")
        if importlib.util.find_spec(module) is None
    ]
    problems = []
    if missing:
        problems.append(
            f"{SCALE_OUT_VARIABLE}=1 needs {' and '.join(missing)}: expected the spark extra "
            "installed (make install-spark), or unset it"
        )
    java_home = environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").exists()):
        problems.append(
            f"{SCALE_OUT_VARIABLE}=1 needs Java 17 or 21: expected java on PATH or JAVA_HOME "
            "set (make install-spark installs it), or unset it"
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
