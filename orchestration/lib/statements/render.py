"""Commission statements: one self-contained HTML page per employee and quarter.

Everything on a statement comes from the published BI file (``$SPM_BI_DATABASE``, opened
read-only), never from the working warehouse, so a statement shows only numbers that passed
every blocking check. Amounts are the marts' decimals, formatted, never recomputed:
``mart_commission_statements`` (the summary, how the payout adds up - capped commission +
clawbacks + SPIFFs = quarter commission, + adjustments = earned, + draw paid - draw recovered =
payout - and the draw with its balance), ``fct_commission_lines`` (booking, clawback and SPIFF
lines, each named by its opportunity and account; SPIFF lines grouped by program),
``fct_commission_line_tiers`` (each booking line's part in each tier) and
``mart_commission_statement_tiers`` (the plan's tiers, tier method, cap multiple and clawback
window; a retroactive plan pays the whole quarter at the tier of its final attainment).

Period close: a statement of a locked quarter says so (when, at which as-of date, by which run
when the file has ``locked_by_run_id``, and its ledger hash) and names the quarters that pay later
adjustments to it. A statement that pays adjustments shows each adjusted quarter
(``fct_commission_adjustments``: locked, recomputed, previously adjusted, adjustment) and, while
it is open, the deal-level changes behind it (``fct_commission_line_changes``, named from the
published lines). A statement that exists only for an adjustment has no plan and no lines.

The output folder is replaced whole: pages are written into a new hidden folder beside it, then
a symlink is renamed over the output path (``os.replace``), so a reader sees the previous
statements or the new ones, never a mix (the previous folder is kept until the next render).
``manifest.json`` and every page's footer name the published file they come from (path,
modification time, size, SHA-256, publish run).

Only statements whose rows changed are rendered again: ``manifest.json`` keeps, per page, the
SHA-256 of everything the page is made of (its template context: the statement, its lines,
tiers, adjustments and the names it links to) and of the renderer (this module and the
templates). A page whose hash equals the previous render's is hard-linked into the new folder
as it is, footer included (it names the publish it was rendered from, whose numbers for that
page are the ones published now); locked quarters therefore keep their pages.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import duckdb
import jinja2

from spm_common.fingerprints import file_sha256
from spm_common.schemas import MARTS_SCHEMA

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATEMENT_TEMPLATE = "commission_statement.html.j2"
INDEX_TEMPLATE = "commission_statements_index.html.j2"
MANIFEST = "manifest.json"
VERSION_SUFFIX = ".render"
REQUIRED_TABLES = (
    "mart_commission_statements",
    "fct_commission_lines",
    "fct_commission_line_tiers",
    "mart_commission_statement_tiers",
    "fct_commission_adjustments",
    "fct_commission_line_changes",
    "dim_reps",
)
# Columns of the commission marts that statements show beyond the first statements' (SPIFFs,
# draws, deal names, tier methods, locks): a file published before them cannot be rendered.
# ``mart_commission_statements.locked_by_run_id`` is shown when the file has it.
REQUIRED_COLUMNS = {
    "mart_commission_statements": (
        "spiff_amount",
        "quarter_commission_amount",
        "adjustment_amount",
        "earned_amount",
        "draw_amount",
        "draw_recovery_amount",
        "draw_balance",
        "tier_method",
        "quarterly_draw_amount",
        "draw_type",
        "opening_draw_balance",
        "is_locked",
        "locked_at",
        "locked_as_of_date",
        "ledger_hash",
    ),
    "fct_commission_lines": ("spiff_id", "spiff_name", "opportunity_name", "account_name"),
}
# Totals over every statement, reported by the CLI, the asset and the manifest.
TOTALS = (
    "earned_amount",
    "spiff_amount",
    "adjustment_amount",
    "draw_amount",
    "draw_recovery_amount",
)
READ_ATTEMPTS = 3
MINUS = "\u2212"  # the typographic minus sign of negative amounts


class StatementsError(RuntimeError):
    """Statements cannot be rendered (no published file, a mart missing, a foreign folder)."""


@dataclass(frozen=True)
class Source:
    """The published file the statements were read from."""

    path: Path
    modified_at: datetime
    size: int
    sha256: str
    run_id: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "modified_at": self.modified_at.isoformat(timespec="seconds"),
            "size": self.size,
            "sha256": self.sha256,
            "publish_run_id": self.run_id,
        }


@dataclass
class Published:
    """The rows of the commission marts, as published."""

    statements: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    line_tiers: list[dict] = field(default_factory=list)
    statement_tiers: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    line_changes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class RenderResult:
    out_dir: Path
    count: int
    total_payout: Decimal
    seconds: float
    source: Source
    # the sums of TOTALS over every statement (earned, SPIFFs, draws paid and recovered)
    totals: dict[str, Decimal] = field(default_factory=dict)
    # pages rendered by this run, and pages kept from the previous render (rows unchanged)
    rendered: int = 0
    reused: int = 0


# ------------------------------------------------------------------------- reading the file

QUERIES = {
    "statements": f"""
        select statements.*, reps.rep_name
        from {MARTS_SCHEMA}.mart_commission_statements as statements
        left join {MARTS_SCHEMA}.dim_reps as reps on statements.rep_id = reps.rep_id
        order by statements.quarter_start, statements.employee_id
    """,
    "lines": f"""
        select *, date_diff('day', won_date, event_date) as days_to_event
        from {MARTS_SCHEMA}.fct_commission_lines
        order by employee_id, quarter_start, line_type, won_date, event_date, opportunity_id
    """,
    "line_tiers": f"""
        select * from {MARTS_SCHEMA}.fct_commission_line_tiers
        order by employee_id, quarter_start, opportunity_id, tier_number
    """,
    "statement_tiers": f"""
        select * from {MARTS_SCHEMA}.mart_commission_statement_tiers
        order by employee_id, quarter_start, tier_number
    """,
    "adjustments": f"""
        select * from {MARTS_SCHEMA}.fct_commission_adjustments
        order by employee_id, quarter_start, adjusted_quarter_start
    """,
    "line_changes": f"""
        select * from {MARTS_SCHEMA}.fct_commission_line_changes
        order by employee_id, adjusted_quarter_start, opportunity_id, line_type, spiff_id
    """,
}


def _fingerprint(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_published(
    bi_database: Path, run_id: str | None = None, memory_limit: str = "1GB"
) -> tuple[Source, Published]:
    """The commission marts of the published file and which file that was.

    Publish replaces the file by a rename, so the file is the same one from the hash to the last
    query exactly when its inode, modification time and size did not change meanwhile; if they
    did (a publish landed), it is read again.
    """
    if not bi_database.is_file():
        raise StatementsError(
            f"No published BI file at {bi_database}: statements are rendered only from a "
            "published state. Run the pipeline (`make run`) so that publish writes it, or point "
            "SPM_BI_DATABASE at the published file."
        )
    for _ in range(READ_ATTEMPTS):
        before = _fingerprint(bi_database)
        sha256 = file_sha256(bi_database)
        with duckdb.connect(
            str(bi_database), read_only=True, config={"memory_limit": memory_limit}
        ) as con:
            tables = {
                name
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = ?", [MARTS_SCHEMA]
                ).fetchall()
            }
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise StatementsError(
                    f"{bi_database} has no {', '.join(f'{MARTS_SCHEMA}.{t}' for t in missing)}: "
                    "it was published before these marts existed; run the pipeline to publish "
                    "them."
                )
            columns = set(
                con.execute(
                    "select table_name || '.' || column_name from duckdb_columns() "
                    "where schema_name = ?",
                    [MARTS_SCHEMA],
                ).fetchall()
            )
            missing = [
                f"{MARTS_SCHEMA}.{table}.{column}"
                for table, names in REQUIRED_COLUMNS.items()
                for column in names
                if (f"{table}.{column}",) not in columns
            ]
            if missing:
                raise StatementsError(
                    f"{bi_database} has no {', '.join(missing)}: it was published before "
                    "statements showed SPIFFs, draws, deal names and locks; run the pipeline "
                    "to publish them."
                )
            published = Published(**{key: _rows(con, sql) for key, sql in QUERIES.items()})
        if _fingerprint(bi_database) == before:
            stat = bi_database.stat()
            source = Source(
                path=bi_database,
                modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                size=stat.st_size,
                sha256=sha256,
                run_id=run_id,
            )
            return source, published
    raise StatementsError(
        f"{bi_database} was replaced {READ_ATTEMPTS} times while being read: try again"
    )


# ------------------------------------------------------------------- shaping the statements


def statement_key(row: dict) -> tuple[str, date]:
    return row["employee_id"], row["quarter_start"]


def file_name(employee_id: str) -> str:
    """``employee_id`` as a file name: as it is when it is plain, else percent-encoded."""
    if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", employee_id):
        return f"{employee_id}.html"
    return quote(employee_id, safe="").replace(".", "%2E") + ".html"


def relative_path(row: dict) -> str:
    return f"{row['quarter_start'].isoformat()}/{file_name(row['employee_id'])}"


def applied_tier(statement: dict, tiers: list[dict], bookings: list[dict]) -> dict | None:
    """The tier a retroactive plan pays the whole quarter at: the one its booking lines were
    paid in (the published parts), else the one that contains the final attainment."""
    by_number = {t["tier_number"]: t for t in tiers}
    paid = {number for line in bookings for number in line["parts"]}
    if len(paid) == 1 and paid <= set(by_number):
        return by_number[paid.pop()]
    attainment = statement["attainment_rate"]
    if attainment is None:
        return None
    for tier in tiers:
        ceiling = tier["ceiling_attainment"]
        if tier["floor_attainment"] <= attainment and (ceiling is None or attainment < ceiling):
            return tier
    return None


def spiff_programs(lines: list[dict]) -> list[dict]:
    """The SPIFF lines grouped by program (by name, then id): its lines and their total."""
    programs: dict[str, dict] = {}
    for line in lines:
        program = programs.setdefault(
            line["spiff_id"],
            {
                "spiff_id": line["spiff_id"],
                "spiff_name": line["spiff_name"],
                "lines": [],
                "total": Decimal("0.00"),
            },
        )
        program["lines"].append(line)
        program["total"] += line["commission_amount"]
    for program in programs.values():
        program["lines"].sort(key=lambda x: (x["won_date"], x["opportunity_id"]))
    return sorted(programs.values(), key=lambda p: (p["spiff_name"] or "", p["spiff_id"] or ""))


LINE_TYPES = ("booking", "clawback", "spiff")


def _line_key(row: dict, quarter: str) -> tuple:
    return (
        row["employee_id"],
        row[quarter],
        row["opportunity_id"],
        row["line_type"],
        row["spiff_id"],
    )


@dataclass
class LineNames:
    """Deal, account and SPIFF program names of the published lines, to name a line change: the
    locked line's own, else (a line only the recomputation has) the opportunity's latest
    published line's; a deal with no published line is named by its id."""

    by_line: dict[tuple, dict] = field(default_factory=dict)
    by_opportunity: dict[str, dict] = field(default_factory=dict)
    spiffs: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: list[dict]) -> LineNames:
        names = cls()
        for line in sorted(lines, key=lambda x: x["quarter_start"]):
            names.by_line[_line_key(line, "quarter_start")] = line
            names.by_opportunity[line["opportunity_id"]] = line
            if line["spiff_id"] is not None:
                names.spiffs[line["spiff_id"]] = line["spiff_name"]
        return names

    def name(self, change: dict) -> dict:
        line = self.by_line.get(_line_key(change, "adjusted_quarter_start")) or (
            self.by_opportunity.get(change["opportunity_id"], {})
        )
        if change["locked_commission_amount"] is None:
            status = "new"
        elif change["recomputed_commission_amount"] is None:
            status = "gone"
        else:
            status = "changed"
        return {
            **change,
            "opportunity_name": line.get("opportunity_name"),
            "account_name": line.get("account_name"),
            "spiff_name": self.spiffs.get(change["spiff_id"]) if change["spiff_id"] else None,
            "status": status,
        }


def _change_order(change: dict) -> tuple:
    rank = LINE_TYPES.index(change["line_type"]) if change["line_type"] in LINE_TYPES else 3
    return (
        rank,
        change["opportunity_name"] or "",
        change["opportunity_id"],
        change["spiff_id"] or "",
    )


def adjustment_rows(
    statement: dict,
    adjustments: list[dict],
    changes: dict[tuple, list[dict]],
    names: LineNames,
    paths: dict[tuple, str],
) -> list[dict]:
    """The adjusted quarters a statement pays, each with the page of its locked statement and,
    while the paying statement is open, the deal-level changes behind it: those are compared
    with the current data, so on a locked statement they would mix in later changes (which the
    next open quarter pays)."""
    rows = []
    for adjustment in adjustments:
        adjusted = (adjustment["employee_id"], adjustment["adjusted_quarter_start"])
        locked = bool(statement["is_locked"] or adjustment["is_locked"])
        shown = (
            None
            if locked
            else sorted((names.name(c) for c in changes.get(adjusted, [])), key=_change_order)
        )
        change = adjustment["recomputed_amount"] - adjustment["locked_amount"]
        total = None if shown is None else sum((c["difference"] for c in shown), Decimal("0.00"))
        rows.append(
            {
                **adjustment,
                "path": f"../{paths[adjusted]}" if adjusted in paths else None,
                "commission_change": change,
                "changes": shown,
                "changes_total": total,
                # the booking lines are capped: the quarter commission moves by the capped amount
                "cap_effect": None if total is None else change - total,
            }
        )
    return rows


def build_statements(published: Published) -> list[dict]:
    """One template context per statement: the statement row, its plan's tiers and terms (and,
    for a retroactive plan, the tier that paid the quarter), its booking lines with their tier
    parts, its clawback lines with the window that applied, its SPIFF lines by program, its lock,
    the adjustments it pays (with the deal-level changes behind them) and, for a locked quarter,
    the later quarters that pay adjustments to it."""
    lines = defaultdict(list)
    for line in published.lines:
        lines[statement_key(line)].append(line)
    parts = defaultdict(dict)
    for part in published.line_tiers:
        parts[(*statement_key(part), part["opportunity_id"])][part["tier_number"]] = part
    tiers = defaultdict(list)
    plan_terms: dict[str, dict] = {}
    for tier in published.statement_tiers:
        tiers[statement_key(tier)].append(tier)
        plan_terms.setdefault(tier["plan_id"], tier)
    paying = defaultdict(list)
    paid_later = defaultdict(list)
    for adjustment in published.adjustments:
        paying[statement_key(adjustment)].append(adjustment)
        paid_later[(adjustment["employee_id"], adjustment["adjusted_quarter_start"])].append(
            adjustment
        )
    changes = defaultdict(list)
    for change in published.line_changes:
        changes[(change["employee_id"], change["adjusted_quarter_start"])].append(change)
    names = LineNames.of(published.lines)
    paths = {statement_key(row): relative_path(row) for row in published.statements}

    statements = []
    for row in published.statements:
        key = statement_key(row)
        bookings = [
            {**line, "parts": parts.get((*key, line["opportunity_id"]), {})}
            for line in lines.get(key, [])
            if line["line_type"] == "booking"
        ]
        clawbacks = [
            {**line, "clawback_days": plan_terms.get(line["plan_id"], {}).get("clawback_days")}
            for line in lines.get(key, [])
            if line["line_type"] == "clawback"
        ]
        spiffs = [line for line in lines.get(key, []) if line["line_type"] == "spiff"]
        plan_tiers = tiers.get(key, [])
        terms = plan_tiers[0] if plan_tiers else plan_terms.get(row["plan_id"], {})
        tier_method = row["tier_method"] or terms.get("tier_method") or "marginal"
        statements.append(
            {
                "statement": row,
                "display_name": row["rep_name"] or f"Employee {row['employee_id']}",
                "path": relative_path(row),
                "plan_name": terms.get("plan_name"),
                "cap_multiple": terms.get("cap_multiple"),
                "clawback_days": terms.get("clawback_days"),
                "tiers": plan_tiers,
                "tier_method": tier_method,
                "applied_tier": (
                    applied_tier(row, plan_tiers, bookings)
                    if tier_method == "retroactive"
                    else None
                ),
                "bookings": bookings,
                "clawbacks": clawbacks,
                "spiff_programs": spiff_programs(spiffs),
                # shown when the published file has the column
                "locked_by_run_id": row.get("locked_by_run_id"),
                "adjustments": adjustment_rows(row, paying.get(key, []), changes, names, paths),
                "adjusted_later": [
                    {
                        **adjustment,
                        "path": f"../{paths[statement_key(adjustment)]}"
                        if statement_key(adjustment) in paths
                        else None,
                    }
                    for adjustment in paid_later.get(key, [])
                ]
                if row["is_locked"]
                else [],
            }
        )
    return statements


# --------------------------------------------------------------------------------- filters


def money(value: Decimal | float | int | None) -> str:
    """``1,234.56``; a minus sign for negatives; an em dash for NULL."""
    if value is None:
        return "—"
    text = f"{Decimal(value):,.2f}"
    return MINUS + text[1:] if text.startswith("-") else text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:,.1f} %"


def subtracted(value: Decimal | None) -> str:
    """An amount that is taken away, as a negative amount (``0.00`` stays ``0.00``)."""
    return money(-value if value else value)


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.7f}"


def utc(value: datetime | None) -> str:
    """A UTC timestamp of the marts (naive), to the second."""
    return "—" if value is None else f"{value.isoformat(sep=' ', timespec='seconds')} UTC"


def raw(value: object) -> str:
    """A value as the marts hold it, for ``data-value`` attributes (tests read them)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money, percent=percent, rate=rate, raw=raw, subtracted=subtracted, utc=utc
    )
    return env


# ------------------------------------------------------------------------ what a page is


def renderer_hash() -> str:
    """SHA-256 of what turns rows into pages: this module (its filters) and the templates."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        digest.update(path.relative_to(TEMPLATES).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_hash(context: dict, renderer: str) -> str:
    """SHA-256 of a page's template context (every row it shows) and the renderer's hash.

    The context is pickled: the same rows built by the same code give the same bytes (its
    dicts keep their insertion order, the published rows are read in a fixed order), and any
    other difference only renders the page again. Pickle is about 8 times faster than a
    canonical JSON text here, which mattered at tens of thousands of pages a night.
    """
    digest = hashlib.sha256(f"{renderer}\n".encode())
    digest.update(pickle.dumps(context, protocol=5))
    return digest.hexdigest()


def previous_pages(out_dir: Path) -> dict[str, dict]:
    """The previous render's pages by path (with their input hash), {} when there is none or
    it predates input hashes."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return {
        entry["path"]: entry
        for entry in manifest.get("files", [])
        if isinstance(entry, dict) and entry.get("input_hash") and entry.get("path")
    }


def _reuse(previous: Path, page: Path) -> bool:
    """Hard-link (else copy) the previous page into the new folder; False if it is gone. The
    page's folder is made when the first link into it fails (one mkdir per quarter, not per
    page)."""
    for _ in range(2):
        try:
            os.link(previous, page)
            return True
        except FileNotFoundError:
            if not previous.exists():
                return False
            page.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # no hard links here (another file system): a copy
            page.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(previous, page)
            return True
    return False


# ----------------------------------------------------------------------- the output folder


def _version_pattern(out_dir: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(out_dir.name)}\.[0-9a-f]{{32}}{re.escape(VERSION_SUFFIX)}")


@contextmanager
def _renderer_lock(directory: Path) -> Iterator[None]:
    """Renders into one folder take turns (the kernel drops the lock if the process dies)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check_replaceable(out_dir: Path) -> None:
    """Only a folder of earlier statements (or an empty one) is ever replaced."""
    if out_dir.is_symlink():
        if not _version_pattern(out_dir).fullmatch(Path(os.readlink(out_dir)).name):
            raise StatementsError(
                f"{out_dir} is a symlink to {os.readlink(out_dir)}, not to earlier statements: "
                "choose another output folder (--out or SPM_STATEMENTS_DIR)"
            )
    elif out_dir.exists() and (
        not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file())
    ):
        raise StatementsError(
            f"{out_dir} exists and does not hold commission statements (no {MANIFEST}): it "
            "would be replaced whole; choose another output folder (--out or "
            "SPM_STATEMENTS_DIR)"
        )


def _swap_in(out_dir: Path, version: Path) -> None:
    """Point ``out_dir`` at ``version`` with one rename. The previous version stays until the
    next render, so a reader who opened the index just before the swap can still open its
    pages; older ones are removed."""
    link = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}.link")
    os.symlink(version.name, link)
    if out_dir.is_symlink():
        previous = out_dir.with_name(os.readlink(out_dir))
    elif out_dir.exists():
        # A plain folder of earlier statements: moved aside once, a symlink from then on.
        previous = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}{VERSION_SUFFIX}")
        out_dir.rename(previous)
    else:
        previous = version
    os.replace(link, out_dir)
    pattern = _version_pattern(out_dir)
    for path in out_dir.parent.iterdir():
        if pattern.fullmatch(path.name) and path not in (version, previous):
            shutil.rmtree(path, ignore_errors=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def manifest_text(manifest: dict) -> str:
    """The manifest as JSON, one statement per line: ``json``'s indented output is written by
    its pure-Python encoder, which took seconds at tens of thousands of statements."""
    head = {key: value for key, value in manifest.items() if key != "files"}
    if not head or not manifest["files"]:
        return json.dumps(manifest, indent=2) + "\n"
    lines = ",\n".join(f"    {json.dumps(entry)}" for entry in manifest["files"])
    # ``head`` indented ends with "\n}": the files go before that brace, last.
    return f'{json.dumps(head, indent=2)[:-2]},\n  "files": [\n{lines}\n  ]\n}}\n'


def render_statements(
    bi_database: Path, out_dir: Path, run_id: str | None = None, memory_limit: str = "1GB"
) -> RenderResult:
    """Render every statement of the published file into ``out_dir`` (replaced whole)."""
    started = time.monotonic()
    source, published = read_published(bi_database, run_id, memory_limit)
    statements = build_statements(published)
    rendered_at = datetime.now(UTC).isoformat(timespec="seconds")
    env = environment()
    page = env.get_template(STATEMENT_TEMPLATE)
    total_payout = sum((s["statement"]["payout_amount"] for s in statements), Decimal("0.00"))
    totals = {
        name: sum((s["statement"][name] for s in statements), Decimal("0.00")) for name in TOTALS
    }

    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _renderer_lock(out_dir.parent):
        _check_replaceable(out_dir)
        version = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}{VERSION_SUFFIX}")
        try:
            renderer = renderer_hash()
            before = previous_pages(out_dir)
            pages = {}
            reused = 0
            for context in statements:
                digest = input_hash(context, renderer)
                kept = before.get(context["path"])
                if (
                    kept
                    and kept["input_hash"] == digest
                    and _reuse(out_dir / context["path"], version / context["path"])
                ):
                    pages[context["path"]] = kept
                    reused += 1
                    continue
                text = page.render(**context, source=source, rendered_at=rendered_at)
                _write(version / context["path"], text)
                pages[context["path"]] = {
                    "input_hash": digest,
                    "rendered_at": rendered_at,
                    "rendered_from_sha256": source.sha256,
                }
            quarters = defaultdict(list)
            for context in statements:
                quarters[context["statement"]["quarter_start"]].append(context)
            for members in quarters.values():
                members.sort(key=lambda c: (c["display_name"], c["statement"]["employee_id"]))
            index = env.get_template(INDEX_TEMPLATE).render(
                quarters=sorted(quarters.items(), reverse=True),
                count=len(statements),
                total_payout=total_payout,
                totals=totals,
                source=source,
                rendered_at=rendered_at,
            )
            _write(version / "index.html", index)
            manifest = {
                "source": source.as_json(),
                "rendered_at": rendered_at,
                "statements": len(statements),
                "rendered": len(statements) - reused,
                "reused": reused,
                "total_payout": str(total_payout),
                "totals": {name: str(value) for name, value in totals.items()},
                "files": [
                    {
                        "employee_id": c["statement"]["employee_id"],
                        "quarter_start": c["statement"]["quarter_start"].isoformat(),
                        "path": c["path"],
                        "payout_amount": str(c["statement"]["payout_amount"]),
                        "is_locked": bool(c["statement"]["is_locked"]),
                        "ledger_hash": c["statement"]["ledger_hash"],
                        "input_hash": pages[c["path"]]["input_hash"],
                        "rendered_at": pages[c["path"]]["rendered_at"],
                        "rendered_from_sha256": pages[c["path"]].get("rendered_from_sha256"),
                    }
                    for c in statements
                ],
            }
            _write(version / MANIFEST, manifest_text(manifest))
            _swap_in(out_dir, version)
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
    return RenderResult(
        out_dir=out_dir,
        count=len(statements),
        total_payout=total_payout,
        seconds=time.monotonic() - started,
        source=source,
        totals=totals,
        rendered=len(statements) - reused,
        reused=reused,
    )
