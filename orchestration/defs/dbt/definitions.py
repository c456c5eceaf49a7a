"""The dbt assets and the dbt CLI resource they run with."""

import dagster as dg

from orchestration.defs.dbt.assets import spm_dbt_models
from orchestration.defs.dbt.resource import SpmDbtCliResource, dbt_parse_ahead
from orchestration.lib.dbt.project import DBT_EXECUTABLE, spm_dbt_project

defs = dg.Definitions(
    assets=[spm_dbt_models],
    resources={
        "dbt": SpmDbtCliResource(project_dir=spm_dbt_project(), dbt_executable=DBT_EXECUTABLE),
        "dbt_parse_ahead": dbt_parse_ahead,
    },
)
