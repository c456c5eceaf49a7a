"""The publish asset."""

import dagster as dg

from orchestration.defs.publish.assets import publish

defs = dg.Definitions(assets=[publish])
