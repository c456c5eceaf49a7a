"""Every landing object's raw asset and its two reject checks."""

import dagster as dg

from ingestion.contract import OBJECTS
from orchestration.defs.ingestion.assets import build_ingestion_asset
from orchestration.defs.ingestion.checks import build_reject_checks

defs = dg.Definitions(
    assets=[build_ingestion_asset(obj) for obj in OBJECTS],
    asset_checks=[build_reject_checks(OBJECTS)],
)
