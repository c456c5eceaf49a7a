"""Bad input is quarantined with file, line, column and reason; good input around it loads.

One test per kind of bad input and per kind of export quirk we tolerate, on CSV text written
by hand, plus the checks that turn rejects into a blocked (or merely warned) run.
"""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion import file_scan
from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER
from ingestion.loader import load_object, record_shifts
from orchestration.defs.ingestion.assets import build_ingestion_asset
from orchestration.defs.ingestion.checks import build_reject_checks, reject_check_results
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import raw_asset_key
from spm_common.settings import max_reject_rate

OPPORTUNITY = OBJECTS_BY_FOLDER["salesforce/Opportunity"]
DEFAULTS = {
    "Id": "O0",
    "AccountId": "001A",
    "OwnerId": "005A",
    "Name": "Deal",
    "StageName": "Prospecting",
    "Amount": "100.50",
    "Probability": "10",
    "CloseDate": "2025-03-31",
    "Type": "New",
    "LeadSource": "Web",
    "IsClosed": "false",
    "IsWon": "false",
    "ForecastCategoryName": "Pipeline",
    "CreatedDate": "2025-01-31T23:59:59.000Z",
    "IsDeleted": "false",
    "SystemModstamp": "2025-02-01T00:00:00.000Z",
}
HEADER = ",".join(DEFAULTS)
A_CSV = "salesforce/Opportunity/a.csv"
B_CSV = "salesforce/Opportunity/b.csv"


def row(opp_id: str, **values: str) -> str:
    """One Opportunity record; values are written as given (quote them yourself)."""
    return ",".join({**DEFAULTS, "Id": opp_id, **values}.values())


def write(landing: Path, rel: str, text: str, newline: str = "\n") -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode())
    return path


@pytest.fixture
def warehouse(tmp_path):
    return tmp_path / "wh.duckdb"


@pytest.fixture
def con(warehouse):
    with duckdb.connect(str(warehouse)) as connection:
        yield connection


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def loaded(con) -> list[tuple]:
    return con.execute(
        'select "Id", _source_file, _source_line from raw.salesforce__opportunity '
        "order by _source_file, _source_line"
    ).fetchall()


def rejected_rows(con) -> list[tuple]:
    return con.execute(
        "select source_file, line_number, column_name, raw_value, reason from audit.rejected_rows "
        "order by source_file, line_number, column_name"
    ).fetchall()


def rejected_files(con) -> list[tuple]:
    return con.execute(
        "select source_file, line_number, column_name, reason from audit.rejected_files "
        "order by source_file"
    ).fetchall()


# --- row-level failures: the row is quarantined, the others load ----------------------------


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("CloseDate", "2025-13-01", "not a valid DATE: '2025-13-01' (expected YYYY-MM-DD)"),
        (
            "CreatedDate",
            "31/01/2025 10:00",
            "not a valid TIMESTAMP: '31/01/2025 10:00' (expected YYYY-MM-DDThh:mm:ss.sssZ or "
            "an ISO 8601 datetime with an offset)",
        ),
        ("Amount", "12;5", "not a valid DECIMAL(18,2): '12;5' (expected a number like 1234.56)"),
        ("Probability", "ten", "not a valid DOUBLE: 'ten' (expected a number like 1234.5)"),
        ("IsClosed", "maybe", "not a valid BOOLEAN: 'maybe' (expected true or false)"),
        (
            "ForecastCategoryName",
            "Upside",
            "unknown value 'Upside' (expected one of Pipeline, Best Case, Most Likely, Commit, "
            "Closed, Omitted, BestCase, MostLikely, Forecast)",
        ),
    ],
    ids=["date", "timestamp", "decimal", "double", "boolean", "enumeration"],
)
def test_a_value_that_does_not_parse_or_is_unknown_rejects_its_row(
    con, landing, column, value, reason
):
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n{row('O2', **{column: value})}\n{row('O3')}\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert loaded(con) == [("O1", A_CSV, 2), ("O3", A_CSV, 4)]
    assert rejected_rows(con) == [(A_CSV, 3, column, value, reason)]
    record = con.execute("select raw_record from audit.rejected_rows").fetchone()[0]
    assert json.loads(record)["Id"] == "O2"


def test_an_empty_enumeration_value_is_null_not_unknown(con, landing):
    write(landing, A_CSV, f"{HEADER}\n{row('O1', ForecastCategoryName='')}\n")
    assert load_object(con, landing, OPPORTUNITY).rows_rejected == 0


def test_broken_records_are_rejected_and_the_good_ones_keep_their_exact_lines(con, landing):
    lines = [
        HEADER,  # 1
        row("O1", Name='"two\nlines"'),  # 2-3
        row("B1", Name='"Acme"Corp'),  # 4: text after the closing quote
        row("B2") + ",extra",  # 5: one field too many
        "",  # 6: blank line, skipped by the reader
        row("B3", Name='"multi\nline"') + ",extra",  # 7-8: too many, spanning two lines
        row("O2"),  # 9
        row("B4").replace(",Web,", ",", 1),  # 10: one field short
        row("O3", Name='"x, ""y""\n\nz"'),  # 11-13, with an empty line inside the value
        row("B5", Name='"open') + '\nstill open" here',  # 14-15: the quote takes in line 15
        row("O4"),  # 16
    ]
    write(landing, A_CSV, "\n".join(lines) + "\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert loaded(con) == [("O1", A_CSV, 2), ("O2", A_CSV, 9), ("O3", A_CSV, 11), ("O4", A_CSV, 16)]
    assert (result.rows_loaded, result.rows_rejected) == (4, 5)
    rejects = con.execute(
        "select line_number, column_name, reason, raw_record from audit.rejected_rows "
        "order by line_number"
    ).fetchall()
    assert [(line, column) for line, column, _, _ in rejects] == [
        (4, "Name"),
        (5, None),
        (7, None),
        (10, "SystemModstamp"),
        (14, "Name"),
    ]
    reasons = [reason for _, _, reason, _ in rejects]
    assert reasons[0].startswith("unbalanced quote")
    assert reasons[1] == "too many fields: expected 16, found 17 (an unquoted comma?)"
    assert reasons[2].endswith("(the record runs over lines 7-8)")
    assert reasons[3] == "too few fields: expected 16, found 15"
    assert reasons[4].startswith("unbalanced quote")
    assert reasons[4].endswith("(the record runs over lines 14-15)")
    # The raw record is the text as it stands in the file, to fix it by hand.
    assert [raw for _, _, _, raw in rejects] == [lines[2], lines[3], lines[5], lines[7], lines[9]]


def test_lines_stay_exact_with_crlf_and_a_bom_around_broken_records(con, landing):
    text = "\n".join(
        [
            HEADER,
            row("B1") + ",x",
            "",
            row("O1", Name='"a\n\nb"'),
            row("B2", Name='"x"y'),
            row("O2"),
        ]
    )
    write(landing, A_CSV, "\ufeff" + text + "\n", newline="\r\n")
    load_object(con, landing, OPPORTUNITY)
    assert loaded(con) == [("O1", A_CSV, 4), ("O2", A_CSV, 8)]
    assert [r[1] for r in rejected_rows(con)] == [2, 7]


def test_record_shifts_place_good_records_past_gaps():
    # Good records of 1, 3 and 1 lines, laid out back to back from line 2, end on 2, 5 and 6.
    # In the file a rejected record takes lines 3-4, so the second record runs over 5-7 with
    # its empty line 6 inside a quoted value; empty line 8 lies between records: the third
    # record is on line 9.
    ends = [2, 5, 6]
    assert record_shifts(2, ends, skipped=[(3, 4)], blank_lines=[6, 8]) == [(1, 2), (2, 3)]
    assert record_shifts(2, ends, skipped=[], blank_lines=[]) == []


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_the_byte_scan_is_exact_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(file_scan, "CHUNK", chunk)
    data = 'h\r\n\r\na,"\n\nb"\r\n\n\ré\n\n'.encode() + b"x\xc3(\n\n\n"
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    scan = file_scan.scan_bytes(path)
    lines = data.split(b"\n")
    # An empty line follows a newline and ends with one; a lone CR counts as empty.
    blank = [n + 1 for n, line in enumerate(lines[:-1]) if n and line in (b"", b"\r")]
    assert scan.blank_lines == blank == [2, 4, 6, 8, 10, 11]
    assert scan.last_line == 9
    assert scan.undecodable_at == data.index(b"\xc3(")
    assert file_scan.lines_at(path, [0, 3, len(data) - 1, data.index(b"x")]) == [1, 2, 11, 9]


# --- file-level failures: nothing of the file loads, the others do --------------------------


def test_missing_required_columns_reject_the_file_naming_them(con, landing):
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n")
    header = HEADER.replace(",Amount", "").replace(",CloseDate", "")
    write(landing, B_CSV, f"{header}\n{row('O2').replace(',100.50', '')}\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == [A_CSV]
    assert [str(rejection) for rejection in result.files_rejected] == [
        f"{B_CSV}, line 1, column Amount, CloseDate: required columns missing: Amount, CloseDate"
    ]
    assert loaded(con) == [("O1", A_CSV, 2)]
    assert rejected_files(con) == [
        (B_CSV, 1, "Amount, CloseDate", "required columns missing: Amount, CloseDate")
    ]


def test_undecodable_bytes_reject_the_file_naming_line_and_byte(con, landing):
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n")
    latin1 = f"{HEADER}\n{row('O2')}\n{row('O3', Name='Café')}\n".encode("latin-1")
    (landing / B_CSV).write_bytes(latin1)
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == [A_CSV]
    offset = latin1.index(b"\xe9")
    assert rejected_files(con) == [
        (
            B_CSV,
            3,
            None,
            f"not UTF-8: byte 0xE9 at byte offset {offset} cannot be decoded; "
            "export the file as UTF-8",
        )
    ]
    assert loaded(con) == [("O1", A_CSV, 2)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file: no header row"), (b"\n\n", "no header row: the first line is empty")],
    ids=["empty", "blank"],
)
def test_a_file_without_header_is_rejected(con, landing, content, reason):
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n")
    (landing / B_CSV).write_bytes(content)
    load_object(con, landing, OPPORTUNITY)
    assert rejected_files(con) == [(B_CSV, 1, None, reason)]
    assert loaded(con) == [("O1", A_CSV, 2)]


def test_an_unterminated_quote_that_runs_to_the_end_rejects_the_file(con, landing):
    # The lines after the quote cannot be told apart from the quoted text: loading the rows
    # before it alone would drop the rest without a trace, so the whole file waits.
    unterminated = row("O2", Name='"open')
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n{unterminated}\n{row('O3')}\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == []
    [(file, line, column, reason)] = rejected_files(con)
    assert (file, line, column) == (A_CSV, 3, "Name")
    assert reason.startswith("unterminated quote: the quoted value runs from line 3 to the end")
    assert result.table_rows == 0


def test_mixed_line_endings_reject_the_file_naming_the_line(con, landing):
    write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n{row('O2')}\r\n{row('O3')}\n")
    load_object(con, landing, OPPORTUNITY)
    assert rejected_files(con) == [
        (A_CSV, 3, None, "line endings change from LF to CRLF; export the file with one kind")
    ]


def test_a_rejected_file_is_retried_only_when_it_changes_and_cleared_when_fixed(con, landing):
    a = write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n{row('O2')}\n")
    first = load_object(con, landing, OPPORTUNITY)
    assert first.files_loaded == [A_CSV]

    # The file turns bad: its earlier rows leave with it.
    a.write_text(f"{HEADER.replace(',Amount', '')}\n{row('O1').replace(',100.50', '')}\n")
    broken = load_object(con, landing, OPPORTUNITY)
    assert [r.file for r in broken.files_rejected] == [A_CSV]
    assert broken.table_rows == 0

    # Unchanged: not read again, not reported twice.
    again = load_object(con, landing, OPPORTUNITY)
    assert (again.files_rejected, again.files_still_rejected) == ([], [A_CSV])
    assert len(rejected_files(con)) == 1

    a.write_text(f"{HEADER}\n{row('O1')}\n")
    fixed = load_object(con, landing, OPPORTUNITY)
    assert fixed.files_loaded == [A_CSV]
    assert rejected_files(con) == []
    assert loaded(con) == [("O1", A_CSV, 2)]


def test_files_that_leave_the_landing_folder_take_their_rows_and_audit_rows(con, landing):
    a = write(landing, A_CSV, f"{HEADER}\n{row('O1')}\n{row('O2', Amount='x')}\n")
    b = write(landing, B_CSV, "Id\nO3\n")
    load_object(con, landing, OPPORTUNITY)
    assert (len(rejected_rows(con)), len(rejected_files(con))) == (1, 1)
    a.unlink()
    b.unlink()
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_removed == [A_CSV, B_CSV]
    assert (loaded(con), rejected_rows(con), rejected_files(con)) == ([], [], [])


def test_bad_input_leaves_landing_files_byte_identical(con, landing):
    paths = [
        write(landing, A_CSV, f"{HEADER}\n{row('O1', Amount='x')}\n{row('O2')},extra\n"),
        write(landing, B_CSV, "Id\nO3\n"),
    ]
    before = [(path.read_bytes(), path.stat().st_mtime_ns) for path in paths]
    load_object(con, landing, OPPORTUNITY)
    assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in paths] == before


# --- what real exports do, tolerated ------------------------------------------------------


def test_bom_crlf_any_case_booleans_quoted_newlines_and_extra_columns_load(con, landing):
    text = "\n".join(
        [
            f"{HEADER},CurrencyIsoCode",
            row("O1", IsClosed="TRUE", IsWon="FALSE") + ",EUR",
            row("O2", IsClosed="True", IsWon="fAlSe", Name='"line one\nline two"') + ",USD",
            row("O3", IsClosed="false", IsWon="true") + ",",
        ]
    )
    write(landing, A_CSV, "\ufeff" + text + "\n", newline="\r\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert (result.rows_loaded, result.rows_rejected, result.files_rejected) == (3, 0, [])
    rows = con.execute(
        'select "Id", "IsClosed", "IsWon", "Name", "CurrencyIsoCode", _source_line '
        'from raw.salesforce__opportunity order by "Id"'
    ).fetchall()
    assert rows == [
        ("O1", True, False, "Deal", "EUR", 2),
        ("O2", True, False, "line one\r\nline two", "USD", 3),
        ("O3", False, True, "Deal", None, 5),
    ]


def test_a_header_only_file_loads_no_rows_and_no_rejects(con, landing):
    write(landing, A_CSV, f"{HEADER}\r\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert (result.files_loaded, result.table_rows, result.files_rejected) == ([A_CSV], 0, [])


# --- the checks: blocking over the threshold or on a rejected file, a warning below ------


def run_checks(warehouse: Path, landing: Path) -> dict[str, dg.AssetCheckResult]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {r.check_name: r for r in reject_check_results(connection, OPPORTUNITY)}


def load(warehouse: Path, landing: Path) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        load_object(connection, landing, OPPORTUNITY)


def good_rows(count: int) -> str:
    return "\n".join(row(f"O{i}") for i in range(count))


def test_the_threshold_check_is_blocking_and_the_warning_is_not():
    specs = {spec.name: spec for spec in build_reject_checks([OPPORTUNITY]).check_specs}
    assert specs["rejects_within_threshold"].blocking
    assert not specs["rejected_rows_below_threshold"].blocking


def test_every_objects_reject_checks_run_in_one_step():
    checks = build_reject_checks(OBJECTS)
    assert len(checks.check_keys) == 2 * len(OBJECTS)
    assert {key.asset_key for key in checks.check_keys} == {
        raw_asset_key(obj.source, obj.name) for obj in OBJECTS
    }


def test_no_rejects_pass_both_checks(warehouse, landing):
    write(landing, A_CSV, f"{HEADER}\n{good_rows(3)}\n")
    load(warehouse, landing)
    results = run_checks(warehouse, landing)
    assert all(result.passed for result in results.values())


def test_rejects_below_the_threshold_warn_without_blocking(warehouse, landing, monkeypatch):
    monkeypatch.delenv("SPM_MAX_REJECT_RATE", raising=False)
    # 1 rejected of 100 rows is 1 %: at the default threshold, not over it.
    write(landing, A_CSV, f"{HEADER}\n{good_rows(99)}\n{row('BAD', CloseDate='soon')}\n")
    load(warehouse, landing)
    results = run_checks(warehouse, landing)
    blocking = results["rejects_within_threshold"]
    assert blocking.passed
    warning = results["rejected_rows_below_threshold"]
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["rows_rejected"].value == 1
    assert warning.metadata["reject_rate"].value == 0.01
    assert f"| {A_CSV} | 101 | CloseDate | soon |" in warning.metadata["rejected_rows_sample"].value


def test_rejects_over_the_threshold_block(warehouse, landing, monkeypatch):
    write(landing, A_CSV, f"{HEADER}\n{good_rows(99)}\n{row('BAD', CloseDate='soon')}\n")
    load(warehouse, landing)
    monkeypatch.setenv("SPM_MAX_REJECT_RATE", "0.005")
    results = run_checks(warehouse, landing)
    blocking = results["rejects_within_threshold"]
    assert not blocking.passed
    assert blocking.severity == dg.AssetCheckSeverity.ERROR
    assert blocking.metadata["max_reject_rate"].value == 0.005
    assert results["rejected_rows_below_threshold"].passed


def test_a_rejected_file_blocks_whatever_the_rate(warehouse, landing, monkeypatch):
    monkeypatch.setenv("SPM_MAX_REJECT_RATE", "1")
    write(landing, A_CSV, f"{HEADER}\n{good_rows(10)}\n")
    write(landing, B_CSV, "Id,Name\nO1,Deal\n")
    load(warehouse, landing)
    blocking = run_checks(warehouse, landing)["rejects_within_threshold"]
    assert not blocking.passed
    assert blocking.metadata["files_rejected"].value == 1
    table = blocking.metadata["rejected_files"].value
    assert f"| {B_CSV} | required columns missing: AccountId, OwnerId" in table
    assert "| 1 | AccountId, OwnerId, StageName" in table


@pytest.mark.parametrize("value", ["1.5", "-0.1", "one percent"])
def test_a_bad_threshold_setting_is_named(monkeypatch, value):
    monkeypatch.setenv("SPM_MAX_REJECT_RATE", value)
    with pytest.raises(ValueError, match="SPM_MAX_REJECT_RATE"):
        max_reject_rate()


def materialize_with_downstream(
    warehouse: Path, landing: Path
) -> tuple[dg.ExecuteInProcessResult, list[str]]:
    """The Opportunity asset, its checks and an asset that needs it, in one in-process run."""
    ingest = build_ingestion_asset(OPPORTUNITY)

    @dg.asset(deps=[ingest.key])
    def downstream() -> None:
        return None

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [ingest, build_reject_checks([OPPORTUNITY]), downstream],
            instance=instance,
            resources={"settings": SpmSettings(warehouse=str(warehouse), landing_dir=str(landing))},
            raise_on_error=False,
        )
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    return result, messages


def test_a_run_goes_on_past_rows_below_the_threshold(warehouse, landing, monkeypatch):
    monkeypatch.delenv("SPM_MAX_REJECT_RATE", raising=False)
    write(landing, A_CSV, f"{HEADER}\n{good_rows(99)}\n{row('BAD', Amount='1;5')}\n")
    result, messages = materialize_with_downstream(warehouse, landing)
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("downstream") in materialized
    assert any(f"rejected row {A_CSV}, line 101, column Amount" in m for m in messages)


def test_a_rejected_file_stops_the_run_before_downstream_assets(warehouse, landing):
    write(landing, A_CSV, f"{HEADER}\n{good_rows(3)}\n")
    write(landing, B_CSV, f"{HEADER.replace(',StageName', '')}\nO9\n")
    result, messages = materialize_with_downstream(warehouse, landing)
    assert not result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("downstream") not in materialized
    assert any(
        f"rejected file {B_CSV}, line 1, column StageName: required columns missing" in m
        for m in messages
    )
