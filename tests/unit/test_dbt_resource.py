"""The dbt CLI resource (orchestration/defs/dbt/resource.py) skips `dbt --version` and the
in-process adapter; the version it assumes is the executable's.

(`dbt --version` itself is not run here: it asks pypi.org for the latest release.)
"""

import sys
from pathlib import Path

from dbt.version import __version__ as dbt_core_version

from orchestration.defs.dbt.definitions import defs
from orchestration.defs.dbt.resource import SpmDbtCliResource
from orchestration.lib.dbt.project import DBT_EXECUTABLE


def test_the_assumed_dbt_version_is_the_executables():
    resource = defs.resources["dbt"]
    assert isinstance(resource, SpmDbtCliResource)
    # The executable is the console script of this interpreter's environment ...
    assert resource.dbt_executable == DBT_EXECUTABLE
    script = Path(DBT_EXECUTABLE)
    assert script.parent == Path(sys.executable).parent
    assert script.read_text().splitlines()[0] == f"#!{sys.executable}"
    # ... so it runs the dbt-core installed here, whose version the resource assumes.
    assert str(resource._cli_version) == dbt_core_version


def test_no_adapter_is_made_in_process():
    assert defs.resources["dbt"]._initialize_dbt_core_adapter(["build"]) is None
