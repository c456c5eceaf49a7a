"""The code location: `dagster asset materialize -m orchestration.definitions --select '*'`."""

# Configuration first, before anything is loaded, read or built: every SPM_* variable is
# checked and all problems are reported together (settings_validation.ConfigurationError).
# The imports below already prepare the dbt manifest and build the schedule from SPM_* values.
from orchestration.settings_validation import check_environment

check_environment()

import dagster as dg  # noqa: E402

from orchestration import (  # noqa: E402
    commission_checks,
    dbt_assets,
    ingestion_assets,
    jobs,
    publish,
    quality_checks,
    schedules,
    sensors,
)
from orchestration.resources import settings_from_env  # noqa: E402

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
