"""The dbt project as Dagster assets; dbt tests become asset checks.

Every run builds the models and runs their data tests. The dbt unit tests check SQL logic, not
data, so they run in the test suite (``tests/test_dbt_unit_tests.py``), not every night, as dbt
recommends. The large Salesforce ``base_`` models are incremental; ``full_refresh: true`` in the
step's config (``make full-refresh``) rebuilds every model from raw.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project_config import DBT_EXECUTABLE, dbt_project, ensure_manifest
from orchestration.ingestion_assets import raw_asset_key
from orchestration.resources import SpmSettings

ensure_manifest()


class SpmDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the ingestion assets; models are grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_asset_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


class DbtBuildConfig(dg.Config):
    """Run config of the dbt step.

    ``full_refresh``: rebuild incremental models from every raw row (`dbt build
    --full-refresh`), after changing an incremental model's SQL or to rule out drift.
    """

    full_refresh: bool = False


def dbt_build_args(settings: SpmSettings, full_refresh: bool = False) -> list[str]:
    """`dbt build` of models and data tests (unit tests run in the test suite)."""
    args = ["build", "--vars", json.dumps(dbt_vars(settings))]
    args += ["--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_vars(settings: SpmSettings) -> dict[str, str]:
    """Variables every dbt invocation gets: the as-of date and the warehouse path."""
    return {
        "as_of_date": settings.as_of().isoformat(),
        "warehouse_path": str(settings.warehouse_path),
    }


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SpmDbtTranslator(),
)
def spm_dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    settings: SpmSettings,
) -> Iterator[Any]:
    # dbt's artifacts and logs go beside the warehouse, not into the repository.
    target_path = settings.warehouse_path.parent / "dbt_target"
    target_path.mkdir(parents=True, exist_ok=True)
    args = dbt_build_args(settings, full_refresh=config.full_refresh)
    yield from dbt.cli(args, context=context, target_path=target_path).stream()


defs = dg.Definitions(
    assets=[spm_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
)
