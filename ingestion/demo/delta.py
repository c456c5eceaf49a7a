"""A nightly delta drop on top of a generated landing folder (benchmarks and incremental tests).

One delta extract per Salesforce object holding ``share`` of its rows: current versions of live
records with a newer ``SystemModstamp``; for activities (Task, Event) half of them are brand-new
records and ``deleted_share`` of the updated ones come back deleted. Files are named
``<Object>_<nightly>T020000Z_delta.csv``, after every existing file, so "the later file wins"
holds. The work is DuckDB SQL over the landing CSVs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ingestion.contract import OBJECTS, SourceObject
from ingestion.demo.ids import KEY_PREFIX, sf_id
from ingestion.landing import object_files

# Activities get brand-new records; other objects only updated ones, since a copied opportunity,
# split or history row would be a second record of the same business fact.
NEW_RECORD_OBJECTS = {"Task", "Event"}
# Reps delete activities; a deleted split or history row alone would break the deal's totals.
DELETED_RECORD_OBJECTS = {"Task", "Event"}
MODSTAMP_COLUMNS = ("SystemModstamp", "LastModifiedDate")
# Counters far above anything the generator hands out, so new ids never collide.
NEW_ID_COUNTER_BASE = 90_000_000


def write_delta_drop(
    landing: Path, nightly: date, seed: int, share: float = 0.01, deleted_share: float = 0.1
) -> int:
    """Write the delta files into ``landing``; return the number of rows written."""
    stamp = f"{nightly.isoformat()}T01:30:00.000Z"
    written = 0
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        for obj in (o for o in OBJECTS if o.is_salesforce):
            written += _object_delta(con, landing, obj, nightly, stamp, seed, share, deleted_share)
    finally:
        con.close()
    return written


def _object_delta(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    obj: SourceObject,
    nightly: date,
    stamp: str,
    seed: int,
    share: float,
    deleted_share: float,
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
        new_ids = [(i, sf_id(prefix, NEW_ID_COUNTER_BASE + i)) for i in range(n // 2)]
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
    out = landing / obj.folder / f"{obj.name}_{nightly.strftime('%Y%m%d')}T020000Z_delta.csv"
    part = out.with_name(out.name + ".part")
    column_list = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"copy (select {column_list} from picked order by pos) to '{part}' (header)")
    part.rename(out)
    return n
