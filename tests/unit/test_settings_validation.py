"""Bad configuration is refused before any work starts, naming the variable, value and form."""

import re
import subprocess
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.defs.automation import schedules
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.pipeline import materialize_command, pipeline_environment
from spm_common import settings as sv
from spm_common.config_values import redacted_url
from spm_common.settings import duckdb_memory_limit

REPO_ROOT = Path(__file__).resolve().parents[2]


def problems_of(environ: dict[str, str], root: Path) -> list[str]:
    return sv.validate_environment(environ, root=root)


def only_problem(environ: dict[str, str], root: Path) -> str:
    problems = problems_of(environ, root)
    assert len(problems) == 1, problems
    return problems[0]


def assert_names(message: str, name: str, value: str, *form: str) -> None:
    """The message names the variable, shows its value as typed and says what is expected."""
    assert message.startswith(f"{name}={value!r} "), message
    assert "expected" in message
    for part in form:
        assert part in message, (part, message)


# ----------------------------------------------------------------------- the whole environment


def test_an_empty_environment_is_valid(tmp_path):
    assert problems_of({}, tmp_path) == []


def test_a_full_valid_environment_is_valid(tmp_path):
    (tmp_path / "landing").mkdir()
    environ = {
        "SPM_LANDING_DIR": "landing",
        "SPM_WAREHOUSE": str(tmp_path / "warehouse" / "spm.duckdb"),
        "SPM_BI_DATABASE": "bi/spm.duckdb",
        "SPM_AS_OF_DATE": "2026-11-26",
        "SPM_MAX_REJECT_RATE": "0.05",
        "SPM_DUCKDB_MEMORY_LIMIT": "2GiB",
        "SPM_NIGHTLY_CRON": "30 4 * * 1-5",
        "SPM_LANDING_SETTLE_SECONDS": "120",
        "SPM_ALERT_WEBHOOK": "https://hooks.example.com/services/T0/B0/x",
        "SPM_DBT_TARGET": "spark",
        "SPM_RAW_PARQUET_DIR": "data/raw_parquet",
        "SPM_SPARK_WAREHOUSE_DIR": str(tmp_path / "spark"),
        "SPM_SPARK_MASTER": "local[*]",
        "SPM_SPARK_DRIVER_MEMORY": "8g",
        "SPM_SPARK_SCHEMA": "spm",
        "SPM_SPARK_THREADS": "4",
        "SPM_SPARK_SHUFFLE_PARTITIONS": "8",
        "SPM_TEST_SPARK": "1",
        "SPM_SPARK_HOST": "anything goes",
    }
    assert problems_of(environ, tmp_path) == []
    assert sv.unknown_variables(environ) == []


def test_every_problem_is_reported_at_once(tmp_path):
    environ = {
        "SPM_AS_OF_DATE": "2026-13-01",
        "SPM_MAX_REJECT_RATE": "5%",
        "SPM_NIGHTLY_CRON": "every night",
        "SPM_ALERT_WEBHOOK": "hooks.example.com",
        "SPM_WAREHOUSE": "same.duckdb",
        "SPM_BI_DATABASE": "same.duckdb",
    }
    problems = problems_of(environ, tmp_path)
    assert [p.split("=")[0] for p in problems] == [
        "SPM_AS_OF_DATE",
        "SPM_MAX_REJECT_RATE",
        "SPM_NIGHTLY_CRON",
        "SPM_ALERT_WEBHOOK",
        "SPM_BI_DATABASE",
    ]
    with pytest.raises(sv.ConfigurationError) as raised:
        sv.check_environment(environ, root=tmp_path)
    assert raised.value.problems == problems
    message = str(raised.value)
    assert message.startswith("5 SPM_* settings are invalid:")
    for problem in problems:
        assert f"  - {problem}" in message
    assert isinstance(raised.value, ValueError)


def test_one_problem_is_the_message_itself(tmp_path):
    with pytest.raises(ValueError) as raised:
        sv.check_environment({"SPM_AS_OF_DATE": "2026-13-01"}, root=tmp_path)
    assert str(raised.value) == (
        "SPM_AS_OF_DATE='2026-13-01' is not a valid date: expected YYYY-MM-DD "
        "(e.g. 2026-11-26), or empty for today"
    )


def test_check_environment_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("SPM_LANDING_SETTLE_SECONDS", "a minute")
    with pytest.raises(sv.ConfigurationError, match="SPM_LANDING_SETTLE_SECONDS='a minute'"):
        sv.check_environment()


def test_an_unknown_spm_variable_is_a_warning_with_a_suggestion(tmp_path):
    environ = {"SPM_WAREHOSE": "x.duckdb", "SPM_LANDING_DIR": "landing"}
    assert sv.unknown_variables(environ) == [
        "SPM_WAREHOSE is set but nothing reads it (did you mean SPM_WAREHOUSE?)"
    ]
    with pytest.warns(UserWarning, match="SPM_WAREHOSE"):
        sv.check_environment(environ, root=tmp_path)


# ------------------------------------------------------------------------------- as-of date


@pytest.mark.parametrize(
    ("value", "expected"), [("2026-11-26", date(2026, 11, 26)), ("2024-02-29", date(2024, 2, 29))]
)
def test_as_of_date_accepts_real_dates(tmp_path, value, expected):
    assert sv.parse_date("SPM_AS_OF_DATE", value) == expected
    assert problems_of({"SPM_AS_OF_DATE": value}, tmp_path) == []


def test_as_of_date_empty_or_unset_means_today():
    assert sv.parse_date("SPM_AS_OF_DATE", "") is None
    assert sv.parse_date("SPM_AS_OF_DATE", None) is None


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "2026-02-30", "2025-02-29", "20261126", "26.11.2026", "2026-1-5", " ", "today"],
)
def test_as_of_date_refuses_anything_else(tmp_path, value):
    message = only_problem({"SPM_AS_OF_DATE": value}, tmp_path)
    assert_names(message, "SPM_AS_OF_DATE", value, "YYYY-MM-DD", "empty for today")


def test_the_settings_resource_names_a_bad_as_of_date():
    with pytest.raises(ValueError, match=r"as_of_date='2026-13-01' .*YYYY-MM-DD"):
        SpmSettings(as_of_date="2026-13-01").as_of()


# ------------------------------------------------------------------------------ reject rate


@pytest.mark.parametrize(("value", "rate"), [("0", 0.0), ("1", 1.0), ("0.005", 0.005), ("", 0.01)])
def test_reject_rate_accepts_a_share(monkeypatch, tmp_path, value, rate):
    monkeypatch.setenv("SPM_MAX_REJECT_RATE", value)
    assert sv.max_reject_rate() == rate
    assert problems_of({"SPM_MAX_REJECT_RATE": value}, tmp_path) == []


@pytest.mark.parametrize("value", ["1.5", "-0.1", "one percent", "1%", "nan", "inf"])
def test_reject_rate_refuses_anything_else(monkeypatch, tmp_path, value):
    message = only_problem({"SPM_MAX_REJECT_RATE": value}, tmp_path)
    assert_names(message, "SPM_MAX_REJECT_RATE", value, "from 0 to 1")
    monkeypatch.setenv("SPM_MAX_REJECT_RATE", value)
    with pytest.raises(ValueError, match="SPM_MAX_REJECT_RATE"):
        sv.max_reject_rate()


def test_only_the_settings_module_reads_spm_variables():
    """Every SPM_* value comes from spm_common/settings.py: no other module reads one."""
    # os.environ.get(X), os.environ[X], os.getenv(X) with an SPM_* name or settings' constant.
    names = "|".join(name for name in dir(sv) if name.endswith("_VARIABLE"))
    reads = re.compile(rf"(environ\.get\(|environ\[|getenv\()\s*([\"']SPM_|({names})\b)")
    readers = [
        path.relative_to(REPO_ROOT).as_posix()
        for folder in ("orchestration", "ingestion", "benchmarks")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if reads.search(path.read_text())
    ]
    assert readers == []


# ----------------------------------------------------------------------------- memory limit

ACCEPTED_MEMORY = ["1GB", "512MB", "2GiB", "80%", "1 gb", "1.5GB", "256MiB", "1TB", "4G"]


@pytest.mark.parametrize("value", ACCEPTED_MEMORY)
def test_memory_limit_accepts_duckdb_sizes(monkeypatch, tmp_path, value):
    assert problems_of({"SPM_DUCKDB_MEMORY_LIMIT": value}, tmp_path) == []
    monkeypatch.setenv("SPM_DUCKDB_MEMORY_LIMIT", value)
    assert duckdb_memory_limit() == value
    # Accepted means DuckDB takes it, as the pipeline's connections and dbt's profile pass it.
    with duckdb.connect(config={"memory_limit": value}) as con:
        con.execute(f"set memory_limit = '{value}'")


def test_memory_limit_empty_or_unset_means_1gb(monkeypatch):
    monkeypatch.setenv("SPM_DUCKDB_MEMORY_LIMIT", "")
    assert duckdb_memory_limit() == "1GB"
    monkeypatch.delenv("SPM_DUCKDB_MEMORY_LIMIT")
    assert duckdb_memory_limit() == "1GB"


@pytest.mark.parametrize(
    "value", ["1", "lots", "-1", "-1GB", "none", "1,5GB", "1PB", "  ", "0GB", "1KB", "150%"]
)
def test_memory_limit_refuses_anything_else(monkeypatch, tmp_path, value):
    message = only_problem({"SPM_DUCKDB_MEMORY_LIMIT": value}, tmp_path)
    assert_names(message, "SPM_DUCKDB_MEMORY_LIMIT", value, "1GB, 512MB, 2GiB, 80%", "KiB")
    monkeypatch.setenv("SPM_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ValueError, match="SPM_DUCKDB_MEMORY_LIMIT"):
        duckdb_memory_limit()


def test_a_limit_duckdb_parses_but_cannot_run_with_says_why(tmp_path):
    message = only_problem({"SPM_DUCKDB_MEMORY_LIMIT": "0GB"}, tmp_path)
    assert "(DuckDB: " in message


# ------------------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    ("value", "cron"),
    [("30 4 * * 1-5", "30 4 * * 1-5"), ("@daily", "@daily"), ("", "0 2 * * *"), (" ", "0 2 * * *")],
)
def test_cron_accepts_what_dagster_schedules_accept(monkeypatch, tmp_path, value, cron):
    assert problems_of({"SPM_NIGHTLY_CRON": value}, tmp_path) == []
    monkeypatch.setenv("SPM_NIGHTLY_CRON", value)
    assert sv.nightly_cron() == cron
    assert schedules.build_nightly_schedule().cron_schedule == cron


@pytest.mark.parametrize("value", ["every night", "0 2 * * * *", "61 2 * * *", "0 2 30 2 *"])
def test_cron_refuses_anything_else(monkeypatch, tmp_path, value):
    message = only_problem({"SPM_NIGHTLY_CRON": value}, tmp_path)
    assert_names(message, "SPM_NIGHTLY_CRON", value, "5 fields", "'0 2 * * *'")
    monkeypatch.setenv("SPM_NIGHTLY_CRON", value)
    with pytest.raises(ValueError, match="SPM_NIGHTLY_CRON"):
        schedules.build_nightly_schedule()


# ---------------------------------------------------------------------------- settle seconds


@pytest.mark.parametrize(("value", "seconds"), [("0", 0), ("3600", 3600), ("90.5", 90.5), ("", 60)])
def test_settle_seconds_accepts_seconds(monkeypatch, tmp_path, value, seconds):
    assert problems_of({"SPM_LANDING_SETTLE_SECONDS": value}, tmp_path) == []
    monkeypatch.setenv("SPM_LANDING_SETTLE_SECONDS", value)
    assert sv.settle_seconds() == seconds


@pytest.mark.parametrize("value", ["-1", "a minute", "inf", "1m"])
def test_settle_seconds_refuses_anything_else(monkeypatch, tmp_path, value):
    message = only_problem({"SPM_LANDING_SETTLE_SECONDS": value}, tmp_path)
    assert_names(message, "SPM_LANDING_SETTLE_SECONDS", value, "seconds >= 0")
    monkeypatch.setenv("SPM_LANDING_SETTLE_SECONDS", value)
    with pytest.raises(ValueError, match="SPM_LANDING_SETTLE_SECONDS"):
        sv.settle_seconds()


# ---------------------------------------------------------------------------------- webhook


@pytest.mark.parametrize(
    "value", ["", "https://hooks.example.com/services/x", "http://127.0.0.1:8080/alert"]
)
def test_webhook_accepts_http_urls_or_nothing(tmp_path, value):
    assert problems_of({"SPM_ALERT_WEBHOOK": value}, tmp_path) == []


@pytest.mark.parametrize(
    "value",
    [
        "hooks.example.com/x",
        "ftp://example.com/x",
        "https://",
        "http://exa mple.com",
        "http://h:99999",
    ],
)
def test_webhook_refuses_anything_else(tmp_path, value):
    message = only_problem({"SPM_ALERT_WEBHOOK": value}, tmp_path)
    # A webhook URL is a secret, even a mistyped one: its scheme and host only.
    shown = redacted_url(value)
    assert_names(message, "SPM_ALERT_WEBHOOK", shown, "http:// or https:// URL", "or empty")


def test_a_webhook_url_is_never_shown_in_full(tmp_path):
    secret = "https://hooks.example.com/services/T0/B0/s3cr3t?token=abc"
    assert redacted_url(secret) == "https://hooks.example.com/..."
    assert redacted_url("hooks.example.com/s3cr3t") == "<a URL, not shown>"
    message = only_problem({"SPM_ALERT_WEBHOOK": secret.replace("https", "ftp")}, tmp_path)
    assert "s3cr3t" not in message and "abc" not in message


# ----------------------------------------------------------------------------------- paths


def test_relative_paths_are_relative_to_the_root(tmp_path):
    path = sv.parse_path("SPM_WAREHOUSE", "w/spm.duckdb", "x", "file", root=tmp_path)
    assert path == tmp_path / "w" / "spm.duckdb"
    assert sv.parse_path("SPM_WAREHOUSE", None, "d/x.duckdb", "file", root=tmp_path) == (
        tmp_path / "d" / "x.duckdb"
    )


@pytest.mark.parametrize("variable", ["SPM_LANDING_DIR", "SPM_WAREHOUSE", "SPM_BI_DATABASE"])
@pytest.mark.parametrize("value", ["", "   "])
def test_a_path_must_not_be_blank(tmp_path, variable, value):
    message = only_problem({variable: value}, tmp_path)
    assert_names(message, variable, value, "blank", "unset for data/")


def test_the_landing_folder_must_not_be_a_file(tmp_path):
    (tmp_path / "landing.csv").write_text("x\n")
    message = only_problem({"SPM_LANDING_DIR": "landing.csv"}, tmp_path)
    assert_names(message, "SPM_LANDING_DIR", "landing.csv", "is an existing file", "folder path")


@pytest.mark.parametrize("variable", ["SPM_WAREHOUSE", "SPM_BI_DATABASE"])
def test_a_database_must_not_be_a_folder(tmp_path, variable):
    (tmp_path / "db").mkdir()
    message = only_problem({variable: str(tmp_path / "db")}, tmp_path)
    assert_names(message, variable, str(tmp_path / "db"), "is an existing folder", "file path")


def test_a_path_under_a_file_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x\n")
    message = only_problem({"SPM_WAREHOUSE": "file/spm.duckdb"}, tmp_path)
    assert_names(message, "SPM_WAREHOUSE", "file/spm.duckdb", "cannot be created")


def test_warehouse_and_bi_database_must_be_different_files(tmp_path):
    environ = {"SPM_WAREHOUSE": str(tmp_path / "spm.duckdb"), "SPM_BI_DATABASE": "x/../spm.duckdb"}
    message = only_problem(environ, tmp_path)
    assert_names(message, "SPM_BI_DATABASE", "x/../spm.duckdb", "same path as SPM_WAREHOUSE")


def test_the_landing_folder_is_not_a_database(tmp_path):
    message = only_problem({"SPM_LANDING_DIR": "data/warehouse/spm.duckdb"}, tmp_path)
    assert_names(message, "SPM_WAREHOUSE", "data/warehouse/spm.duckdb", "same path as SPM_LANDING")


# ---------------------------------------------------------------------- dbt target and Spark


def test_dbt_targets_are_the_outputs_of_the_profile():
    profiles = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text())
    assert set(sv.DBT_TARGETS) == set(profiles["spm"]["outputs"])


@pytest.mark.parametrize(
    ("variable", "good", "bad", "form"),
    [
        ("SPM_DBT_TARGET", "duckdb", "postgres", "one of duckdb, spark"),
        ("SPM_DBT_TARGET", "spark", "", "one of duckdb, spark"),
        ("SPM_SPARK_MASTER", "local[2]", "local[0]", "Spark master URL"),
        ("SPM_SPARK_MASTER", "spark://head:7077", "localhost", "Spark master URL"),
        ("SPM_SPARK_DRIVER_MEMORY", "4g", "4 GB", "e.g. 4g"),
        ("SPM_SPARK_DRIVER_MEMORY", "512m", "1.5g", "e.g. 4g"),
        ("SPM_SPARK_SCHEMA", "spm_dev", "spm-dev", "letters, digits and _"),
        ("SPM_SPARK_THREADS", "2", "0", "whole number >= 1"),
        ("SPM_SPARK_SHUFFLE_PARTITIONS", "200", "four", "whole number >= 1"),
        ("SPM_SPARK_SHUFFLE_PARTITIONS", "4", "", "whole number >= 1"),
        ("SPM_RAW_PARQUET_DIR", "data/raw_parquet", " ", "folder path"),
        ("SPM_SPARK_WAREHOUSE_DIR", "data/spark", "", "folder path"),
        ("SPM_TEST_SPARK", "1", "yes", "1 (on)"),
    ],
)
def test_dbt_and_spark_variables(tmp_path, variable, good, bad, form):
    assert problems_of({variable: good}, tmp_path) == []
    assert_names(only_problem({variable: bad}, tmp_path), variable, bad, form)


# ------------------------------------------------------------------------------ demo CLI


def test_the_demo_cli_names_a_bad_as_of_date(monkeypatch, tmp_path, capsys):
    from ingestion.demo.__main__ import parse_args

    monkeypatch.setenv("SPM_AS_OF_DATE", "2026-13-01")
    with pytest.raises(SystemExit) as exited:
        parse_args(["--out", str(tmp_path)])
    assert exited.value.code == 2
    assert "SPM_AS_OF_DATE='2026-13-01' is not a valid date" in capsys.readouterr().err
    # An explicit --as-of wins over the variable.
    assert parse_args(["--as-of", "2026-11-26"]).as_of == date(2026, 11, 26)
    monkeypatch.setenv("SPM_AS_OF_DATE", "2025-06-30")
    assert parse_args([]).as_of == date(2025, 6, 30)


# ------------------------------------------------------------------- before any work starts


def test_materialize_fails_at_once_on_a_bad_date_and_writes_nothing(tmp_path):
    """The CLI, stopped by the environment check before any step runs (3 s): a unit test, since
    no part of the pipeline runs."""
    env = pipeline_environment(tmp_path, as_of="2026-13-01")
    warehouse = Path(env["SPM_WAREHOUSE"])
    env.update(
        SPM_RAW_PARQUET_DIR=str(tmp_path / "raw_parquet"),
        SPM_SPARK_WAREHOUSE_DIR=str(tmp_path / "spark"),
    )
    started = time.monotonic()
    result = subprocess.run(
        materialize_command(),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "SPM_AS_OF_DATE='2026-13-01' is not a valid date" in output, output
    assert "YYYY-MM-DD" in output
    assert "month must be in 1..12" not in output
    assert elapsed < 60, f"took {elapsed:.0f} s: the check must come before any work"
    assert not warehouse.exists()
    assert not warehouse.parent.exists()
    assert not (tmp_path / "landing").exists()
    assert not (tmp_path / "bi").exists()
