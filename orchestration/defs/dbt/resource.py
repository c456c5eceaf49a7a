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
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version
from typing import Any

from dagster_dbt import DbtCliResource
from packaging.version import Version


class SpmDbtCliResource(DbtCliResource):
    """``DbtCliResource`` for the dbt installed beside this interpreter (see module docstring)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None
