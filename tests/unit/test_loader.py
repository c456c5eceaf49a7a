"""Ingestion: DuckDB's CSV reader, the contract's types, provenance, rejects and idempotency."""

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.contract import OBJECTS_BY_FOLDER
from ingestion.loader import load_object
from ingestion.loader.line_numbers import stage_file

OPPORTUNITY = OBJECTS_BY_FOLDER["salesforce/Opportunity"]
WORKERS = OBJECTS_BY_FOLDER["hris/workers"]
HEADER = (
    "Id,AccountId,OwnerId,Name,StageName,Amount,Probability,CloseDate,Type,LeadSource,"
    "IsClosed,IsWon,ForecastCategoryName,CreatedDate,IsDeleted,SystemModstamp"
)


def opp_row(opp_id: str, name: str = "Deal", amount: str = "100.50", closed: str = "false") -> str:
    return (
        f"{opp_id},001A,005A,{name},Prospecting,{amount},10,2025-03-31,New,Web,{closed},false,"
        "Pipeline,2025-01-31T23:59:59.000Z,false,2025-02-01T00:00:00.000Z"
    )


def write(landing: Path, rel: str, text: str, newline: str = "\n") -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode())
    return path


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as connection:
        yield connection


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def test_quoted_commas_quotes_and_newlines_keep_their_line_numbers(con, landing):
    tricky = '"Acme, ""big""\ndeal\n\nphase 2"'
    write(
        landing,
        "salesforce/Opportunity/a.csv",
        f"{HEADER}\n{opp_row('O1')}\n{opp_row('O2', tricky)}\n{opp_row('O3')}\n",
    )
    load_object(con, landing, OPPORTUNITY)
    rows = con.execute(
        'select "Id", "Name", _source_line, _source_file from raw.salesforce__opportunity '
        "order by _source_line"
    ).fetchall()
    assert rows == [
        ("O1", "Deal", 2, "salesforce/Opportunity/a.csv"),
        ("O2", 'Acme, "big"\ndeal\n\nphase 2', 3, "salesforce/Opportunity/a.csv"),
        ("O3", "Deal", 7, "salesforce/Opportunity/a.csv"),
    ]


def test_values_get_the_contract_types(con, landing):
    write(
        landing,
        "salesforce/Opportunity/a.csv",
        f"{HEADER}\n{opp_row('O1', closed='TRUE')}\n{opp_row('O2', amount='', closed='False')}\n",
    )
    load_object(con, landing, OPPORTUNITY)
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'salesforce__opportunity'"
        ).fetchall()
    )
    assert types["Amount"] == "DECIMAL(18,2)"
    assert types["IsClosed"] == "BOOLEAN"
    assert types["CreatedDate"] == "TIMESTAMP"
    assert types["CloseDate"] == "DATE"
    rows = con.execute(
        'select "Amount", "IsClosed", "CreatedDate"::varchar, "CloseDate"::varchar '
        'from raw.salesforce__opportunity order by "Id"'
    ).fetchall()
    assert rows == [
        (Decimal("100.50"), True, "2025-01-31 23:59:59", "2025-03-31"),
        (None, False, "2025-01-31 23:59:59", "2025-03-31"),
    ]


def test_bom_crlf_and_unknown_columns_are_tolerated_and_kept(con, landing):
    write(
        landing,
        "salesforce/Opportunity/a.csv",
        f"\ufeff{HEADER},CurrencyIsoCode\n{opp_row('O1')},EUR\n",
        newline="\r\n",
    )
    write(landing, "salesforce/Opportunity/b.csv", f"{HEADER},Region\n{opp_row('O2')},EMEA\n")
    load_object(con, landing, OPPORTUNITY)
    rows = con.execute(
        'select "Id", "CurrencyIsoCode", "Region", "SystemModstamp"::varchar '
        'from raw.salesforce__opportunity order by "Id"'
    ).fetchall()
    assert rows == [("O1", "EUR", None, "2025-02-01 00:00:00"), ("O2", None, "EMEA", rows[1][3])]


def test_header_only_file_loads_nothing(con, landing):
    write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == ["salesforce/Opportunity/a.csv"]
    assert result.table_rows == 0


def test_unparseable_value_rejects_its_row_with_file_line_column(con, landing):
    write(
        landing,
        "salesforce/Opportunity/a.csv",
        f"{HEADER}\n{opp_row('O1')}\n{opp_row('O2', amount='12;5')}\n{opp_row('O3')}\n",
    )
    result = load_object(con, landing, OPPORTUNITY)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    rejected = con.execute(
        "select source, object_folder, source_file, line_number, column_name, raw_value, reason, "
        "raw_record from audit.rejected_rows"
    ).fetchall()
    assert len(rejected) == 1
    source, folder, file, line, column, value, reason, record = rejected[0]
    assert (source, folder, file, line, column, value) == (
        "salesforce",
        "salesforce/Opportunity",
        "salesforce/Opportunity/a.csv",
        3,
        "Amount",
        "12;5",
    )
    assert "DECIMAL" in reason
    assert json.loads(record)["Id"] == "O2"


def test_missing_required_column_rejects_the_file_and_loads_the_others(con, landing):
    write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n{opp_row('O1')}\n")
    write(
        landing,
        "salesforce/Opportunity/b.csv",
        HEADER.replace(",Amount", "") + "\n" + opp_row("O2").replace(",100.50", "") + "\n",
    )
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == ["salesforce/Opportunity/a.csv"]
    [rejection] = result.files_rejected
    assert str(rejection) == (
        "salesforce/Opportunity/b.csv, line 1, column Amount: required columns missing: Amount"
    )
    assert con.execute('select "Id" from raw.salesforce__opportunity').fetchall() == [("O1",)]
    assert con.execute(
        "select source_file, line_number, column_name from audit.rejected_files"
    ).fetchall() == [("salesforce/Opportunity/b.csv", 1, "Amount")]


def test_unterminated_quote_on_the_last_line_rejects_that_row(con, landing):
    write(
        landing,
        "salesforce/Opportunity/a.csv",
        f"{HEADER}\n{opp_row('O1')}\n{opp_row('O2', chr(34) + 'open')}\n",
    )
    result = load_object(con, landing, OPPORTUNITY)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    [(file, line, reason)] = con.execute(
        "select source_file, line_number, reason from audit.rejected_rows"
    ).fetchall()
    assert (file, line) == ("salesforce/Opportunity/a.csv", 3)
    assert "quote" in reason


def test_reload_skips_unchanged_replaces_changed_and_drops_removed_files(con, landing):
    a = write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n{opp_row('O1')}\n")
    b = write(landing, "salesforce/Opportunity/b.csv", f"{HEADER}\n{opp_row('O2')}\n")
    first = load_object(con, landing, OPPORTUNITY)
    assert first.files_loaded == ["salesforce/Opportunity/a.csv", "salesforce/Opportunity/b.csv"]

    again = load_object(con, landing, OPPORTUNITY)
    assert again.files_loaded == []
    assert again.files_skipped == first.files_loaded
    assert again.table_rows == 2

    a.write_text(f"{HEADER}\n{opp_row('O1', amount='7')}\n{opp_row('O3')}\n")
    b.unlink()
    changed = load_object(con, landing, OPPORTUNITY)
    assert changed.files_loaded == ["salesforce/Opportunity/a.csv"]
    assert changed.files_removed == ["salesforce/Opportunity/b.csv"]
    rows = con.execute(
        'select "Id", "Amount"::varchar from raw.salesforce__opportunity order by "Id"'
    ).fetchall()
    assert rows == [("O1", "7.00"), ("O3", "100.50")]


def test_landing_files_are_never_modified(con, landing):
    path = write(
        landing, "hris/workers/w.csv", ",".join(WORKERS.columns) + "\nE1" + "," * 11 + "\n"
    )
    before = path.read_bytes(), path.stat().st_mtime_ns
    load_object(con, landing, WORKERS)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_missing_object_folder_gives_an_empty_typed_table(con, landing):
    landing.mkdir()
    result = load_object(con, landing, WORKERS)
    assert result.table_rows == 0
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'hris__workers' order by ordinal_position"
        ).fetchall()
    ]
    assert columns[: len(WORKERS.columns)] == list(WORKERS.columns)
    assert "_source_line" in columns


# --- values as the vendors write them (docs/sources.md) --------------------------------------

STAGE = OBJECTS_BY_FOLDER["salesforce/OpportunityStage"]
STAGE_HEADER = (
    "Id,ApiName,MasterLabel,SortOrder,IsActive,IsClosed,IsWon,DefaultProbability,"
    "ForecastCategoryName,ForecastCategory,SystemModstamp"
)
STAMP = "2025-01-01T00:00:00.000Z"


def test_integers_must_be_whole_and_forecast_categories_take_both_spellings(con, landing):
    write(
        landing,
        "salesforce/OpportunityStage/s.csv",
        f"{STAGE_HEADER}\n"
        f"S1,Proposal,Proposal,3.0,true,false,false,60.0,Best Case,BestCase,{STAMP}\n"
        f"S2,Verbal,Verbal,4.5,true,false,false,70,Most Likely,MostLikely,{STAMP}\n"
        f"S3,Commit,Commit,5,true,false,false,80,Forecast,Upside,{STAMP}\n",
    )
    result = load_object(con, landing, STAGE)
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    assert con.execute(
        'select "Id", "SortOrder", "ForecastCategoryName" from raw.salesforce__opportunity_stage'
    ).fetchall() == [("S1", 3, "Best Case")]
    reasons = con.execute(
        "select line_number, column_name, reason from audit.rejected_rows order by line_number"
    ).fetchall()
    assert reasons == [
        (3, "SortOrder", "not a valid INTEGER: '4.5' (expected a whole number)"),
        (
            4,
            "ForecastCategory",
            "unknown value 'Upside' (expected one of Pipeline, Best Case, Most Likely, Commit, "
            "Closed, Omitted, BestCase, MostLikely, Forecast)",
        ),
    ]


def test_a_utc_offset_is_converted_to_utc_and_milliseconds_are_kept(con, landing):
    row = opp_row("O1").replace("2025-01-31T23:59:59.000Z", "2025-01-31T23:59:59.125+02:00")
    write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n{row}\n")
    load_object(con, landing, OPPORTUNITY)
    created = con.execute('select "CreatedDate" from raw.salesforce__opportunity').fetchone()[0]
    assert created.isoformat() == "2025-01-31T21:59:59.125000"


def test_hris_empty_date_spelling_is_null(con, landing):
    write(
        landing,
        "hris/workers/w.csv",
        "employee_id,first_name,last_name,work_email,department,job_title,manager_employee_id,"
        "location,hire_date,termination_date,termination_type,employment_status\n"
        "E1,A,B,a@example.com,Sales,AE,,Berlin,2024-01-15,0000-00-00,,Active\n",
    )
    result = load_object(con, landing, WORKERS)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    assert con.execute("select termination_date from raw.hris__workers").fetchone() == (None,)


def test_enablement_rows_with_unknown_status_or_bad_numbers_are_rejected(con, landing):
    write(
        landing,
        "enablement/training_assignments/t.csv",
        "assignment_id,employee_id,course_id,course_name,course_category,assigned_date,due_date,"
        "status,completed_at,score,duration_minutes\n"
        "A1,E1,C1,Intro,Onboarding,2025-01-05,2025-02-05,Completed,2025-02-01T10:00:00Z,87.5,30\n"
        "A2,E1,C2,Product,Product,2025-01-05,,Done,,,45\n"
        "A3,E1,C3,Ethics,Compliance,2025-01-05,,Assigned,,n/a,15\n",
    )
    result = load_object(con, landing, OBJECTS_BY_FOLDER["enablement/training_assignments"])
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    assert con.execute(
        "select assignment_id, score, completed_at from raw.enablement__training_assignments"
    ).fetchone()[:2] == ("A1", 87.5)
    assert con.execute(
        "select line_number, column_name, reason from audit.rejected_rows order by line_number"
    ).fetchall() == [
        (
            3,
            "status",
            "unknown value 'Done' (expected one of Assigned, In Progress, Completed, Waived)",
        ),
        (4, "score", "not a valid DOUBLE: 'n/a' (expected a number like 1234.5)"),
    ]


def test_temporary_names_are_not_landing_files(con, landing):
    write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n{opp_row('O1')}\n")
    for name in (".a.csv.Xy12", ".b.csv", "~$c.csv", "d.csv.part", "e.tmp", "f.part"):
        write(landing, f"salesforce/Opportunity/{name}", f"{HEADER}\n{opp_row('X')}\n")
    result = load_object(con, landing, OPPORTUNITY)
    assert result.files_loaded == ["salesforce/Opportunity/a.csv"]
    assert con.execute('select "Id" from raw.salesforce__opportunity').fetchall() == [("O1",)]


def test_a_file_appended_to_while_it_loads_is_not_loaded_until_it_settles(
    con, landing, monkeypatch
):
    import ingestion.loader.load as load_module

    path = write(landing, "salesforce/Opportunity/a.csv", f"{HEADER}\n{opp_row('O1')}\n")
    judge = load_module.judge_file

    def judge_while_the_export_appends(*args, **kwargs):
        outcome = judge(*args, **kwargs)
        with path.open("a") as handle:  # the exporter writes on after the run listed the file
            handle.write(opp_row("O2") + "\n")
        return outcome

    monkeypatch.setattr(load_module, "judge_file", judge_while_the_export_appends)
    first = load_object(con, landing, OPPORTUNITY)
    assert first.files_loaded == []
    [rejection] = first.files_rejected
    assert rejection.file == "salesforce/Opportunity/a.csv"
    assert rejection.reason.startswith("still being written: its size (")
    assert con.execute("select count(*) from raw.salesforce__opportunity").fetchone() == (0,)
    reason = con.execute("select reason from audit.rejected_files").fetchall()
    assert reason and "still being written" in reason[0][0]

    monkeypatch.setattr(load_module, "judge_file", judge)
    # The export finished: the next run loads the file whole, under its final content's hash.
    second = load_object(con, landing, OPPORTUNITY)
    assert second.files_loaded == ["salesforce/Opportunity/a.csv"]
    assert con.execute('select "Id" from raw.salesforce__opportunity order by 1').fetchall() == [
        ("O1",),
        ("O2",),
    ]


def test_a_file_rewritten_in_place_with_the_same_size_is_caught_by_its_hash(landing, tmp_path):
    import os

    from ingestion.loader.load import changed_since_listed
    from spm_common.fingerprints import file_sha256

    path = write(landing, "x.csv", "abc\n")
    listed, digest = path.stat(), file_sha256(path)
    assert changed_since_listed(path, listed, digest) is None
    path.write_text("abd\n")
    os.utime(path, ns=(listed.st_atime_ns, listed.st_mtime_ns))
    assert changed_since_listed(path, listed, digest) == "content (SHA-256)"
    path.unlink()
    assert changed_since_listed(path, listed, digest) == "presence (it was removed)"


def test_lines_stay_exact_when_duckdb_reads_a_file_in_parallel(tmp_path):
    """A file larger than the reader's buffers is split among threads; the record numbers and
    the running sum of record spans must still follow the file's order (a misordering would
    keep the total, so the end-of-file check could not see it)."""
    header = "Id,Name,Description"
    records, lines, line = [], [header], 2
    for number in range(200_000):
        record_id = f"R{number:07d}"
        if number % 7 == 3:  # a quoted value over three lines
            text = f'{record_id},n{number},"first {"x" * 150}\nsecond\nthird"'
        else:
            text = f"{record_id},n{number},{'y' * 150}"
        records.append((record_id, line))
        lines.append(text)
        line += text.count("\n") + 1
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 32 * 1024 * 1024  # more than one buffer of DuckDB's reader

    with duckdb.connect(config={"threads": 4}) as con:
        stage_file(con, path, ["Id", "Name", "Description"], 2, "_landing_0")
        staged = con.execute(
            'select "Id", _source_line from _landing_0 order by _record_number'
        ).fetchall()
    assert staged == records
