"""The dbt project as Dagster assets; dbt tests become asset checks.

Every run builds the models and runs their data tests; a data test of severity ``error`` is a
blocking check, ``warn`` a warning. The dbt unit tests check SQL logic, not data, so they run in
the test suite (``tests/e2e/test_dbt_unit_tests.py``), not every night, as dbt recommends. The large
Salesforce ``base_`` models are incremental; ``full_refresh: true`` in the step's config
(``make full-refresh``) rebuilds every model from raw.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from orchestration.defs.dbt.translator import SpmDbtTranslator
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dbt.project import spm_dbt_project
from spm_common.settings import exported

MARTS_GROUP = "marts"


class DbtBuildConfig(dg.Config):
    """Run config of the dbt step.

    ``full_refresh``: rebuild incremental models from every raw row (`dbt build
    --full-refresh`), after changing an incremental model's SQL or to rule out drift.
    """

    full_refresh: bool = False


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """`dbt build` of models and data tests (unit tests run in the test suite).

    No ``--vars``: the as-of date and the warehouse reach dbt as environment variables
    (``SpmSettings.dbt_environment``), so the same arguments every night keep dbt's partial
    parsing valid.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return args


@dbt_assets(
    manifest=spm_dbt_project().manifest_path,
    project=spm_dbt_project(),
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
    args = dbt_build_args(full_refresh=config.full_refresh)
    # The dbt subprocess starts inside ``cli`` and inherits the environment of that moment.
    with exported(settings.dbt_environment()):
        invocation = dbt.cli(args, context=context, target_path=target_path)
    yield from invocation.stream()


def model_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model, as dagster-dbt and the translator make it."""
    return get_asset_key_for_model([spm_dbt_models], name)


def models_in_schema(schema: str) -> list[dg.AssetKey]:
    """The dbt models built as relations of ``schema`` (dagster-dbt's ``dagster/table_name``,
    ``database.schema.table``): in ``marts``, the marts and the MetricFlow time spine."""
    return [
        spec.key
        for spec in spm_dbt_models.specs
        if str(spec.metadata.get("dagster/table_name", "")).split(".")[-2:-1] == [schema]
    ]


# Every model of the marts layer, whatever its folder (publish copies models_in_schema(marts),
# these and the MetricFlow time spine).
MART_KEYS = [spec.key for spec in spm_dbt_models.specs if spec.group_name == MARTS_GROUP]
