"""The code location: `dagster asset materialize -m orchestration.definitions --select '*'`.

It only merges the definitions of each concern (``orchestration/defs/<concern>/definitions.py``):
ingestion (raw assets and their reject checks), quality (the Great Expectations gate on the raw
sources), dbt (models, with dbt tests as asset checks), publish, and automation (job, schedule,
sensors, failure alert), and the Spark scale-out path when ``SPM_SCALE_OUT=1``.
"""

# Configuration first, before anything is loaded, read or built: every SPM_* variable is
# checked and all problems are reported together (settings.ConfigurationError). The imports
# below prepare the dbt manifest when stale and build the schedule from SPM_* values.
from spm_common.settings import check_environment

check_environment()

import dagster as dg  # noqa: E402

from orchestration.defs.automation import definitions as automation  # noqa: E402
from orchestration.defs.dbt import definitions as dbt  # noqa: E402
from orchestration.defs.ingestion import definitions as ingestion  # noqa: E402
from orchestration.defs.ledger import definitions as ledger  # noqa: E402
from orchestration.defs.publish import definitions as publish  # noqa: E402
from orchestration.defs.quality import definitions as quality  # noqa: E402
from orchestration.defs.resources import settings_from_env  # noqa: E402
from orchestration.defs.scale_out import definitions as scale_out  # noqa: E402
from orchestration.defs.statements import definitions as statements  # noqa: E402


def build_definitions() -> dg.Definitions:
    """Every concern's definitions, the Spark scale-out ones only with ``SPM_SCALE_OUT=1``."""
    return dg.Definitions.merge(
        ledger.defs,
        ingestion.defs,
        quality.defs,
        dbt.defs,
        publish.defs,
        statements.defs,
        scale_out.scale_out_definitions(),
        automation.automation_definitions(),
        dg.Definitions(
            resources={"settings": settings_from_env()},
            # Steps are short and DuckDB allows one writer: run them in one process.
            executor=dg.in_process_executor,
        ),
    )


# Dagster accepts one Definitions object at module scope.
defs = build_definitions()
