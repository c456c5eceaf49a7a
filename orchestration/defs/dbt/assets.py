"""The dbt project as Dagster assets; dbt tests become asset checks.

Every run builds the models and runs their data tests; a data test of severity ``error`` is a
blocking check, ``warn`` a warning. The dbt unit tests check SQL logic, not data, so they run in
the test suite (``tests/e2e/test_dbt_unit_tests.py``), not every night, as dbt recommends. The large
Salesforce ``base_`` models are incremental; ``full_refresh: true`` in the step's config
(``make full-refresh``) rebuilds every model from raw.

A run whose dbt inputs did not change (``orchestration/lib/dbt/inputs.py``: no new raw rows, the
same ledger, as-of date and project) since the last successful build of the same models does
not start dbt: it reports every selected model as materialized and every selected test with
the outcome that build recorded, each saying so (``dbt_build: unchanged``, the run that built
it). An hourly run with nothing new costs no dbt build; ``full_refresh`` always builds.
"""

import datetime
import functools
import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from orchestration.defs.dbt.resource import build_target_path
from orchestration.defs.dbt.translator import SpmDbtTranslator
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dbt import inputs, parse, parse_ahead
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
    dbt_parse_ahead: dg.ResourceParam[parse_ahead.ParseAhead],
) -> Iterator[Any]:
    models = [list(key.path) for key in context.selected_asset_keys]
    checks = [(tuple(k.asset_key.path), k.name) for k in context.selected_asset_check_keys]
    environment = settings.dbt_environment()
    with settings.connect_warehouse() as con:
        current = inputs.fingerprint(
            con, dbt_sources(), parse.fingerprint(spm_dbt_project().project_dir), environment
        )
        state = inputs.read_state(con)
        unchanged = (
            not config.full_refresh
            and state is not None
            and state.fingerprint == current
            and state.covers(models, checks)
        )
        if not unchanged:
            inputs.forget_state(con)  # a build that fails halfway leaves no claim behind
    if unchanged:
        context.log.info(
            f"dbt inputs unchanged since run {state.run_id} ({state.built_at:%Y-%m-%d %H:%M}): "
            f"{len(models)} models and {len(checks)} tests as that build left them, dbt not run"
        )
        yield from unchanged_results(context, state)
        return
    target_path = build_target_path(settings)
    target_path.mkdir(parents=True, exist_ok=True)
    # The parse started with the run (resource.dbt_parse_ahead) leaves its partial-parse file
    # in target_path; dbt's own parse then only reads it.
    context.log.info(dbt_parse_ahead.wait())
    args = dbt_build_args(full_refresh=config.full_refresh)
    built, outcomes = [], []
    # The dbt subprocess starts inside ``cli`` and inherits the environment of that moment.
    with exported(environment):
        invocation = dbt.cli(args, context=context, target_path=target_path)
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult):
            outcomes.append(inputs.outcome_of(event))
        elif isinstance(event, dg.Output):
            built.append(list(context.asset_key_for_output(event.output_name).path))
        elif isinstance(event, dg.MaterializeResult) and event.asset_key is not None:
            built.append(list(event.asset_key.path))
        yield event
    # dagster-dbt raised above if dbt failed: every selected model was built, in this order
    # (dbt starts a model once its parents are done), which an unchanged run repeats.
    state = inputs.BuildState(
        current, context.run_id, datetime.datetime.now(datetime.UTC), built, outcomes
    )
    with settings.connect_warehouse() as con:
        inputs.write_state(con, state)


@functools.cache
def dbt_sources() -> list[tuple[str, str]]:
    """(schema, table) of every source of the dbt project, from its manifest."""
    manifest = json.loads(spm_dbt_project().manifest_path.read_text())
    return sorted(
        {(s["schema"], s.get("identifier") or s["name"]) for s in manifest["sources"].values()}
    )


def unchanged_results(context: dg.AssetExecutionContext, state: inputs.BuildState) -> Iterator[Any]:
    """Each selected model and test as the recorded build left them, saying so."""
    metadata = {
        "dbt_build": "unchanged: no dbt input changed (lib/dbt/inputs.py)",
        "built_by_run": state.run_id,
        "built_at": state.built_at.isoformat(),
    }
    selected = context.selected_asset_keys
    for path in state.models:  # in the order the build made them: parents first
        if (key := dg.AssetKey(path)) in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
    recorded = {(tuple(c.asset_key), c.check_name): c for c in state.checks}
    for key in context.selected_asset_check_keys:
        outcome = recorded[(tuple(key.asset_key.path), key.name)]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity(outcome.severity),
            description=outcome.description,
            metadata=metadata,
        )


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
