"""The code location: `dagster asset materialize -m orchestration.definitions --select '*'`."""

import dagster as dg

from orchestration import (
    commission_checks,
    dbt_assets,
    ingestion_assets,
    jobs,
    publish,
    quality_checks,
    schedules,
    sensors,
)
from orchestration.resources import settings_from_env

defs = dg.Definitions.merge(
    ingestion_assets.defs,
    dbt_assets.defs,
    publish.defs,
    commission_checks.defs,
    quality_checks.defs,
    jobs.defs,
    schedules.defs,
    sensors.defs,
    dg.Definitions(
        resources={"settings": settings_from_env()},
        # Steps are short and DuckDB allows one writer: run them in one process.
        executor=dg.in_process_executor,
    ),
)
