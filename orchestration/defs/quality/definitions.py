"""The Great Expectations gate on every raw object."""

import dagster as dg

from orchestration.defs.quality.checks import RAW_CHECKS

defs = dg.Definitions(asset_checks=list(RAW_CHECKS.values()))
