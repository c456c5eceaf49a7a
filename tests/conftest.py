"""Session fixtures: the pipeline runs the end-to-end tests share (helpers in tests/helpers).

Every test under ``tests/e2e/`` is marked ``e2e``, so ``pytest -m "not e2e"`` runs the fast
unit tests of ``tests/unit/`` alone.
"""

import gc
from datetime import date
from pathlib import Path

import pytest

from tests.helpers.pipeline import (
    GENERATED_AS_OF,
    FixtureRun,
    PipelineRun,
    run_fixture_folder,
    run_generated,
)

E2E_FOLDER = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(config, items):
    """The folder decides: a module under ``tests/e2e/`` runs the pipeline or one of its steps
    for real (the CLI, an in-process materialization, the GX gate, dbt)."""
    for item in items:
        if E2E_FOLDER in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory) -> PipelineRun:
    """One real pipeline run on small generated demo data, shared by the end-to-end tests."""
    return run_generated(
        tmp_path_factory.mktemp("generated"), scale=0.1, seed=7, as_of=GENERATED_AS_OF
    )


@pytest.fixture(scope="session")
def vendor_quirks_run(tmp_path_factory) -> FixtureRun:
    """The vendor-quirks landing folder (as-of 2025-06-30), shared by its e2e tests and the
    Spark comparison."""
    root = tmp_path_factory.mktemp("vendor_quirks")
    return run_fixture_folder(root, "vendor_quirks", date(2025, 6, 30))


@pytest.fixture(scope="session")
def commission_edge_cases_run(tmp_path_factory) -> FixtureRun:
    """The commission edge cases (as-of 2025-09-30), shared by their e2e tests and the Spark
    comparison."""
    root = tmp_path_factory.mktemp("commission_edge_cases")
    return run_fixture_folder(root, "commission_edge_cases", date(2025, 9, 30))


def pytest_sessionfinish(session, exitstatus):
    """Dispose of in-process Dagster/GX objects (sqlite via SQLAlchemy) while the interpreter is
    whole: left to shutdown, their connection pools print "closed database" tracebacks."""
    gc.collect()
