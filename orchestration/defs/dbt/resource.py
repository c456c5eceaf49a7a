"""dagster-dbt's CLI resource without two start-up costs of every dbt step.

Before it starts dbt, ``DbtCliResource.cli`` runs ``dbt --version`` in a subprocess to learn the
version of the dbt executable, and loads dbt's macros into an in-process adapter that it uses
only to fetch row counts and column metadata (``fetch_row_counts``, ``fetch_column_metadata``).
Together about 5 s of every run on this 2-core machine, before any model is built.

The executable here is always the ``dbt`` of this interpreter's environment (``DBT_EXECUTABLE``),
so its version is the installed dbt-core's, read from the package metadata; and this project
fetches neither row counts nor column metadata, so no adapter is made (dagster-dbt accepts
none, as for the Fusion engine). ``tests/unit/test_dbt_resource.py`` checks the version against
``dbt --version`` and that a dbt step still reports every model and test.

``dbt_parse_ahead`` starts ``dbt parse`` into the build's target folder when the run starts, so
that the build finds a current partial-parse file (``orchestration/lib/dbt/parse_ahead.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.defs.resources import SpmSettings
from orchestration.lib.dbt import parse_ahead
from orchestration.lib.dbt.project import DBT_EXECUTABLE, spm_dbt_project


class SpmDbtCliResource(DbtCliResource):
    """``DbtCliResource`` for the dbt installed beside this interpreter (see module docstring)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


def build_target_path(settings: SpmSettings) -> Path:
    """Where the night's ``dbt build`` keeps its artifacts and logs: beside the warehouse, not
    in the repository (whose ``target/`` holds the manifest the assets are made from)."""
    return settings.warehouse_path.parent / "dbt_target"


@dg.resource(
    required_resource_keys={"settings"},
    description="dbt parse into the build's target folder while the steps before dbt run",
)
def dbt_parse_ahead(context: dg.InitResourceContext) -> Iterator[parse_ahead.ParseAhead]:
    """Set up once per run, before its first step (the in-process executor), when the run's
    steps include the dbt build: the parse overlaps ingestion and the gate; the dbt step waits
    for it. A run that ends before its dbt step stops the parse."""
    settings: SpmSettings = context.resources.settings
    project = spm_dbt_project()
    handle = parse_ahead.start(
        DBT_EXECUTABLE,
        Path(project.project_dir),
        Path(project.profiles_dir),
        build_target_path(settings),
        {**os.environ, **settings.dbt_environment()},
    )
    try:
        yield handle
    finally:
        handle.stop()
