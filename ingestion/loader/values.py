"""Each value typed by the source contract; what does not parse, is not in its enumeration,
or breaks one of the object's row rules (``ROW_RULES``), is rejected with file, line, column
and reason."""

from __future__ import annotations

import duckdb

from ingestion.contract import EMPTY_DATES, ENUMERATIONS, ROW_RULES, RowRule, SourceObject
from ingestion.loader.line_numbers import BrokenRecord
from spm_common.sql import quote_ident, sql_literal

TYPE_HINTS = {
    "BOOLEAN": "expected true or false",
    "DATE": "expected YYYY-MM-DD",
    "TIMESTAMP": "expected YYYY-MM-DDThh:mm:ss.sssZ or an ISO 8601 datetime with an offset",
    "INTEGER": "expected a whole number",
    "DOUBLE": "expected a number like 1234.5",
    "DECIMAL": "expected a number like 1234.56",
}


def typed_expression(name: str, dtype: str, source: str = "") -> str:
    """Empty text is NULL; text columns stay text, typed columns are cast (NULL if invalid).

    - TIMESTAMP: a UTC offset (``+02:00``, ``-0800``) is applied, so every value is UTC; a
      value without one (``Z`` or none) is UTC already. A plain cast would drop the offset.
    - INTEGER: whole numbers only (``60``, ``60.0``, ``6E1``); a plain cast rounds ``1.5``.
    - DATE: the source's own spelling of "no date" (``EMPTY_DATES``) is NULL.
    """
    value = present(name, dtype, source)
    if dtype == "VARCHAR":
        return value
    if dtype == "TIMESTAMP":
        return f"timezone('UTC', try_cast({value} as timestamptz))"
    if dtype == "INTEGER":
        number = f"try_cast({value} as double)"
        return f"case when {number} = floor({number}) then try_cast({value} as integer) end"
    return f"try_cast({value} as {dtype})"


def present(name: str, dtype: str, source: str) -> str:
    """The column's text, NULL where the source means "no value" (empty, or EMPTY_DATES)."""
    value = f"nullif({quote_ident(name)}, '')"
    if dtype == "DATE":
        for empty in EMPTY_DATES.get(source, ()):
            value = f"nullif({value}, {sql_literal(empty)})"
    return value


def value_failures(obj: SourceObject, header: list[str], table: str) -> list[str]:
    """One query per checked column: the records whose value has the wrong type or is unknown."""
    queries = []
    # Optional columns with a closed value set (e.g. ``Opportunity.ForecastCategory``, which some
    # exports carry beside the required label column) are checked when a file has them.
    optional = {
        column: "VARCHAR"
        for folder, column in ENUMERATIONS
        if folder == obj.folder and column not in obj.typed_columns
    }
    for name, dtype in {**obj.typed_columns, **optional}.items():
        if name not in header:
            continue
        value = quote_ident(name)
        conditions = []
        if dtype != "VARCHAR":
            hint = TYPE_HINTS[dtype.split("(")[0]]
            conditions.append(
                (
                    f"{typed_expression(name, dtype, obj.source)} is null",
                    f"not a valid {dtype}: ",
                    f"({hint})",
                )
            )
        allowed = ENUMERATIONS.get((obj.folder, name))
        if allowed:
            listed = ", ".join(sql_literal(v) for v in allowed)
            conditions.append(
                (
                    f"{value} not in ({listed})",
                    "unknown value ",
                    f"(expected one of {', '.join(allowed)})",
                )
            )
        for condition, problem, hint in conditions:
            # The reason quotes the value (cut to 80 characters) so it reads on its own.
            reason = f"{sql_literal(problem + chr(39))} || left({value}, 80) || " + sql_literal(
                f"{chr(39)} {hint}"
            )
            queries.append(
                f"select _record_number, _source_line, {sql_literal(name)} as column_name, "
                f"{value} as raw_value, {reason} as reason from {table} "
                f"where {present(name, dtype, obj.source)} is not null and {condition}"
            )
    return queries


def reject_rows(
    con: duckdb.DuckDBPyConnection,
    obj: SourceObject,
    header: list[str],
    staged: tuple[str, str],
    broken: list[BrokenRecord],
) -> int:
    """Move broken records and rows with bad values into temp table ``rejects``; count them."""
    table, rejects = staged
    con.execute(
        f"""
        create temp table {rejects} as
        select
            unnest(?::bigint[]) as line_number,
            unnest(?::varchar[]) as column_name,
            null::varchar as raw_value,
            unnest(?::varchar[]) as reason,
            unnest(?::varchar[]) as raw_record
        """,
        [
            [b.first_line for b in broken],
            [b.column for b in broken],
            [b.reason for b in broken],
            [b.raw_record for b in broken],
        ],
    )
    queries = value_failures(obj, header, table)
    con.execute(
        "create or replace temp table _failures as "
        + (
            " union all ".join(queries)
            if queries
            else "select null::bigint as _record_number, null::bigint as _source_line, "
            "null::varchar as column_name, null::varchar as raw_value, null::varchar as reason "
            "limit 0"
        )
    )
    rules = ROW_RULES.get(obj.folder, ())
    if rules:
        con.execute(f"create or replace temp table _typed as {typed_records(obj, header, table)}")
        for rule in rules:
            con.execute(f"insert into _failures {rule_failures(rule, header, table)}")
        con.execute("drop table _typed")
    failed = con.execute("select count(distinct _record_number) from _failures").fetchone()[0]
    if failed:
        record = ", ".join(f"{sql_literal(n)}: l.{quote_ident(n)}" for n in header)
        con.execute(
            f"""
            insert into {rejects}
            select
                f._source_line, f.column_name, f.raw_value, f.reason,
                to_json({{{record}}})::varchar
            from _failures as f
            join {table} as l using (_record_number)
            order by f._source_line, f.column_name
            """
        )
        con.execute(
            f"delete from {table} where _record_number in (select _record_number from _failures)"
        )
    return len(broken) + failed


def typed_records(obj: SourceObject, header: list[str], table: str) -> str:
    """The file's records whose values all parsed, typed; a column the file lacks is NULL."""
    columns = ", ".join(
        (typed_expression(name, dtype, obj.source) if name in header else f"cast(null as {dtype})")
        + f" as {quote_ident(name)}"
        for name, dtype in obj.typed_columns.items()
    )
    return (
        f"select _record_number, _source_line, {columns} from {table} "
        "where _record_number not in (select _record_number from _failures)"
    )


def rule_failures(rule: RowRule, header: list[str], table: str) -> str:
    """The records of ``_typed`` that break ``rule`` (with ``whole_set``, and every record of
    their partition), as rows of ``_failures``."""
    partition = ", ".join(quote_ident(c) for c in rule.partition)
    order = ", ".join(quote_ident(c) for c in rule.order) or "_source_line"
    window = f" window w as (partition by {partition} order by {order})" if partition else ""
    raw_value = f"l.{quote_ident(rule.column)}" if rule.column in header else "null::varchar"
    judged = (
        f"select _record_number, _source_line, ({rule.broken}) as _broken, "
        f"({rule.reason}) as _reason{', ' + partition if partition else ''} from _typed{window}"
    )
    if not rule.whole_set:
        return (
            f"select j._record_number, j._source_line, {sql_literal(rule.column)}, {raw_value}, "
            f"j._reason from ({judged}) as j join {table} as l using (_record_number) "
            "where j._broken"
        )
    keys = ", ".join(rule.partition)
    named = " || ', ' || ".join(f"cast(j.{quote_ident(c)} as varchar)" for c in rule.partition)
    same_set = " and ".join(f"j.{quote_ident(c)} = first.{quote_ident(c)}" for c in rule.partition)
    return f"""
        with judged as ({judged}),
        first as (
            select {partition}, min(_source_line) as line, arg_min(_reason, _source_line) as reason
            from judged where _broken group by {partition}
        )
        select j._record_number, j._source_line, {sql_literal(rule.column)}, {raw_value},
            case
                when j._broken then j._reason
                else {sql_literal(f"rejected with the rest of its {keys} (")} || {named}
                    || '): line ' || first.line || ' ' || first.reason
            end
        from judged as j
        join first on {same_set}
        join {table} as l using (_record_number)
        where j._record_number not in (select _record_number from _failures)
    """
