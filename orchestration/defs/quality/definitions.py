"""The Great Expectations gate on every raw object, one multi-asset check (one step a run)."""

import dagster as dg

from orchestration.defs.quality.checks import raw_great_expectations

defs = dg.Definitions(asset_checks=[raw_great_expectations])
