"""``payout_ledger``: the first step of every run. It verifies the ledger's hash chain and
copies the locks into the warehouse's ``ledger`` schema for dbt.

A broken chain fails the step before the copy: nothing downstream (dbt, publish, the lock) runs,
so nothing is published or locked; the failure names the first broken statement.
"""

import dagster as dg

from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import ledger_asset_keys
from orchestration.lib.ledger.store import snapshot_into, verify
from spm_common.schemas import LEDGER_SCHEMA

LEDGER_KEYS = ledger_asset_keys()


@dg.multi_asset(
    name="payout_ledger",
    specs=[
        dg.AssetSpec(
            key,
            group_name="ledger",
            kinds={"duckdb"},
            description=(
                f"`{LEDGER_SCHEMA}.{table}` of the warehouse: a copy of the payout ledger "
                "(`$SPM_LEDGER_DATABASE`) made after its hash chain was verified."
            ),
        )
        for table, key in LEDGER_KEYS.items()
    ],
)
def payout_ledger(context: dg.AssetExecutionContext, settings: SpmSettings):
    path = settings.ledger_database_path
    broken = verify(path)
    if broken is not None:
        raise dg.Failure(
            description=f"{broken}. Nothing is published or locked until it is restored "
            "from a backup (docs/operations.md).",
            metadata={"ledger": dg.MetadataValue.path(str(path)), "first_broken": broken.sequence},
            allow_retries=False,
        )
    with settings.connect_warehouse() as con:
        counts = snapshot_into(con, path)
    context.log.info(f"payout ledger {path}: chain verified; {counts}")
    for table, key in LEDGER_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": counts[table],
                "ledger": dg.MetadataValue.path(str(path)),
            },
        )
