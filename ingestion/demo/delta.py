"""A nightly delta drop on top of a generated landing folder (benchmarks, incremental tests, and
``python -m ingestion.demo --next-night``).

One delta extract per Salesforce object holding ``share`` of its rows: current versions of live
records with a newer ``SystemModstamp``; for activities (Task, Event) half of them are brand-new
records and ``deleted_share`` of the updated ones come back deleted. Files are named
``<Object>_<nightly>T020000Z_delta.csv``, after every existing file, so "the later file wins"
holds; an existing file is never replaced. The work is DuckDB SQL over the landing CSVs.

``write_next_night`` adds the changes that reach closed quarters (``late_changes``) to that drop:
their Salesforce rows go into the same delta files, the quota correction into a sales-ops file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ingestion.contract import OBJECTS, SourceObject
from ingestion.demo.fmt import HOUR, at, day_number
from ingestion.demo.ids import KEY_PREFIX, sf_id
from ingestion.demo.late_changes import Hit, choose
from ingestion.demo.versions import Row
from ingestion.demo.writer import Landing, header
from ingestion.landing import object_files

# Activities get brand-new records; other objects only updated ones, since a copied opportunity,
# split or history row would be a second record of the same business fact.
NEW_RECORD_OBJECTS = {"Task", "Event"}
# Reps delete activities; a deleted split or history row alone would break the deal's totals.
DELETED_RECORD_OBJECTS = {"Task", "Event"}
MODSTAMP_COLUMNS = ("SystemModstamp", "LastModifiedDate")
# Counters far above anything the generator hands out, so new ids never collide; each night
# takes a range of its own (``NEW_ID_NIGHT_STEP`` per day), so successive nights add new records.
NEW_ID_COUNTER_BASE = 90_000_000
NEW_ID_NIGHT_STEP = 10_000_000
_STAMP = re.compile(r"_(\d{8})T\d{6}Z_[A-Za-z0-9-]+\.csv$")


def delta_path(landing: Path, obj: SourceObject, nightly: date) -> Path:
    return landing / obj.folder / f"{obj.name}_{nightly.strftime('%Y%m%d')}T020000Z_delta.csv"


def write_delta_drop(
    landing: Path,
    nightly: date,
    seed: int,
    share: float = 0.01,
    deleted_share: float = 0.1,
    extra: Mapping[str, Sequence[Row]] | None = None,
) -> int:
    """Write the delta files into ``landing``; return the number of rows written. ``extra``:
    rows per Salesforce object to send in the night's file too (their records are left out of
    the random pick). ``FileExistsError`` if a file of the night is already there. The files
    appear together at the end (``.part`` files until then)."""
    written, parts = _delta_parts(landing, nightly, seed, share, deleted_share, extra or {})
    for part in parts:
        part.rename(_final(part))
    return written


def _final(part: Path) -> Path:
    return part.with_name(part.name.removesuffix(".part"))


def _delta_parts(
    landing: Path,
    nightly: date,
    seed: int,
    share: float,
    deleted_share: float,
    extra: Mapping[str, Sequence[Row]],
) -> tuple[int, list[Path]]:
    """The night's delta as ``.part`` files (none left behind on failure): rows, files."""
    objects = [o for o in OBJECTS if o.is_salesforce]
    taken = [p for o in objects if (p := delta_path(landing, o, nightly)).exists()]
    if taken:
        raise FileExistsError(f"the delta drop of {nightly} is already there: {taken[0]}")
    stamp = f"{nightly.isoformat()}T01:30:00.000Z"
    written = 0
    parts: list[Path] = []
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        for obj in objects:
            part = delta_path(landing, obj, nightly).with_suffix(".csv.part")
            parts.append(part)
            written += _object_delta(
                con,
                landing,
                obj,
                part,
                stamp,
                nightly,
                seed,
                share,
                deleted_share,
                extra.get(obj.name, ()),
            )
    except BaseException:
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return written, parts


def _object_delta(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    obj: SourceObject,
    part: Path,
    stamp: str,
    nightly: date,
    seed: int,
    share: float,
    deleted_share: float,
    extra: Sequence[Row] = (),
) -> int:
    files = [str(p) for p in object_files(landing, obj)]
    con.execute(
        "create or replace temp table v as select * from read_csv(?, all_varchar = true, "
        "union_by_name = true, filename = true)",
        [files],
    )
    columns = [
        c
        for c in (d[0] for d in con.execute("select * from v limit 0").description)
        if c != "filename"
    ]
    total = con.execute("select count(*) from v").fetchone()[0]
    n = max(1, round(total * share))
    has_deleted = "IsDeleted" in columns
    live = "where \"IsDeleted\" is distinct from 'true'" if has_deleted else ""
    if extra:
        con.execute("create or replace temp table sent (id varchar)")
        con.executemany("insert into sent values (?)", [[row["Id"]] for row in extra])
        live += (" and " if live else "where ") + '"Id" not in (select id from sent)'
    select = ", ".join(
        f"'{stamp}' as \"{c}\"" if c in MODSTAMP_COLUMNS else f'"{c}"' for c in columns
    )
    con.execute(
        f"""
        create or replace temp table picked as
        with latest as (
            select * from v
            qualify row_number() over (
                partition by "Id"
                order by cast("SystemModstamp" as timestamp) desc, filename desc
            ) = 1
        )
        select {select}, row_number() over (order by hash("Id" || '{seed}')) - 1 as pos
        from latest
        {live}
        order by hash("Id" || '{seed}')
        limit {n}
        """
    )
    if obj.name in NEW_RECORD_OBJECTS:
        prefix = KEY_PREFIX[obj.name]
        first = NEW_ID_COUNTER_BASE + NEW_ID_NIGHT_STEP * day_number(nightly)
        new_ids = [(i, sf_id(prefix, first + i)) for i in range(n // 2)]
        con.execute("create or replace temp table new_ids (pos bigint, new_id varchar)")
        con.executemany("insert into new_ids values (?, ?)", new_ids)
        con.execute(
            """
            create or replace temp table picked as
            select * exclude (new_id) replace (coalesce(new_id, "Id") as "Id")
            from picked left join new_ids using (pos)
            """
        )
    if obj.name in DELETED_RECORD_OBJECTS and deleted_share > 0:
        # Deletions among the updated (not the new) records, spread over the pick.
        every = max(1, round(1 / deleted_share))
        first_updated = n // 2 if obj.name in NEW_RECORD_OBJECTS else 0
        con.execute(
            f"""
            update picked set "IsDeleted" = 'true'
            where pos >= {first_updated} and (pos - {first_updated}) % {every} = {every - 1}
            """
        )
    column_list = ", ".join(f'"{c}"' for c in columns)
    if extra:
        # As the generator's writer: the exports' columns, in their order (others dropped).
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        con.executemany(
            f"insert into picked ({column_list}, pos) values ({marks})",
            [[row.get(c) or None for c in columns] + [n + i] for i, row in enumerate(extra)],
        )
    con.execute(f"copy (select {column_list} from picked order by pos) to '{part}' (header)")
    return n + len(extra)


# ---------------------------------------------------------------- the next night


@dataclass(frozen=True)
class NextNight:
    night: date
    rows: int  # every row of the drop
    hits: list[Hit]  # the closed quarters the drop changes
    files: list[Path]


def next_night(landing: Path) -> date:
    """The day after the folder's last Salesforce extract."""
    stamps = [
        m.group(1)
        for o in OBJECTS
        if o.is_salesforce
        for p in object_files(landing, o)
        if (m := _STAMP.search(p.name))
    ]
    if not stamps:
        raise ValueError(f"{landing} holds no Salesforce export to follow")
    last = max(stamps)
    return date(int(last[:4]), int(last[4:6]), int(last[6:])) + timedelta(days=1)


def write_next_night(
    landing: Path, nightly: date, seed: int, share: float = 0.01, deleted_share: float = 0.1
) -> NextNight:
    """The night's drop: the delta (``write_delta_drop``) with a late won deal, a changed split
    and a corrected quota in closed quarters (``late_changes``). Adds files only: refuses a
    night that is not after every Salesforce extract of the folder, or whose files exist."""
    if nightly <= next_night(landing) - timedelta(days=1):
        raise ValueError(f"{nightly} is not after the folder's last extract")
    changes = choose(landing, nightly, seed)
    quotas = Landing(landing)
    quota_file = quotas.open(
        "sales_ops/quotas",
        "quotas",
        at(nightly, 6 * HOUR),
        "correction",
        header("sales_ops/quotas"),
    )
    try:
        if quota_file.path.exists():
            raise FileExistsError(f"the quota correction of {nightly} is already there")
        for row in changes.quotas:
            quota_file.write(row)
        rows, parts = _delta_parts(landing, nightly, seed, share, deleted_share, changes.salesforce)
    except BaseException:
        quotas.discard()
        raise
    for part in parts:
        part.rename(_final(part))
    quotas.commit()
    files = [_final(part) for part in parts] + [quota_file.path]
    return NextNight(nightly, rows + len(changes.quotas), changes.hits, files)
