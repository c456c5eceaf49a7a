"""SQL text helpers for DuckDB: identifiers and literals quoted for interpolation."""


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (a double quote inside is doubled)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """``value`` as a SQL string literal (a single quote inside is doubled)."""
    return "'" + value.replace("'", "''") + "'"
