"""The dbt manifest is re-parsed when the definitions load, only when it is stale.

Stale: any file ``dbt parse`` reads was touched, added or removed since the last parse (or the
manifest or its fingerprint is missing). Fresh otherwise, and then loading costs no parse.
"""

import os
import shutil
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.lib.dbt import project as dbt_project_module
from orchestration.lib.dbt.parse import (
    fingerprint,
    fingerprint_path,
    manifest_is_stale,
    parse_inputs,
    record_fingerprint,
)
from spm_common.paths import PROJECT_ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A dbt project as the files go (no dbt run): a model, a macro, a test and a manifest."""
    (tmp_path / "dbt_project.yml").write_text("name: p\nmodel-paths: [models]\n")
    (tmp_path / "profiles.yml").write_text("p: {}\n")
    for path in ("models/marts/a.sql", "models/marts/a.yml", "macros/m.sql", "tests/t.sql"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("select 1\n")
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    record_fingerprint(manifest, fingerprint(tmp_path))
    return tmp_path


def stale(project: Path) -> bool:
    return manifest_is_stale(project, project / "target" / "manifest.json")


def test_fresh_after_a_parse(project):
    assert not stale(project)
    assert not stale(project)  # checking changes nothing


def test_stale_when_a_model_is_touched(project):
    model = project / "models/marts/a.sql"
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert stale(project)


def test_stale_when_a_model_is_edited_within_the_same_second(project):
    model = project / "models/marts/a.sql"
    stat = model.stat()
    model.write_text("select 2 as changed\n")
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, other size
    assert stale(project)


@pytest.mark.parametrize(
    "new", ["models/marts/x/new_mart.sql", "models/marts/x/new_mart.yml", "macros/n.sql"]
)
def test_stale_when_a_file_is_added(project, new):
    (project / new).parent.mkdir(parents=True, exist_ok=True)
    (project / new).write_text("select 1\n")
    assert stale(project)


@pytest.mark.parametrize("gone", ["models/marts/a.yml", "tests/t.sql"])
def test_stale_when_a_file_is_removed(project, gone):
    (project / gone).unlink()
    assert stale(project)


@pytest.mark.parametrize("name", ["dbt_project.yml", "profiles.yml"])
def test_stale_when_the_project_or_profile_changes(project, name):
    with (project / name).open("a") as handle:
        handle.write("# changed\n")
    assert stale(project)


def test_stale_without_a_manifest_or_a_fingerprint(project):
    fingerprint_path(project / "target" / "manifest.json").unlink()
    assert stale(project)
    record_fingerprint(project / "target" / "manifest.json", fingerprint(project))
    (project / "target" / "manifest.json").unlink()
    assert stale(project)


def test_fresh_when_unrelated_files_change(project):
    (project / "target" / "run_results.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("x")
    (project / "models" / ".a.sql.swp").write_text("editor")
    (project / "README.md").write_text("notes")
    assert not stale(project)


def test_the_folders_named_in_dbt_project_yml_are_read(project):
    (project / "dbt_project.yml").write_text("name: p\nmodel-paths: [sql]\n")
    (project / "sql").mkdir()
    (project / "sql" / "b.sql").write_text("select 1\n")
    assert project / "sql" / "b.sql" in parse_inputs(project)
    assert project / "models" / "marts" / "a.sql" not in parse_inputs(project)


def test_the_real_project_is_fingerprinted_cheaply():
    files = parse_inputs(PROJECT_ROOT / "dbt_project")
    assert PROJECT_ROOT / "dbt_project" / "dbt_project.yml" in files
    assert any(path.suffix == ".sql" and "marts" in path.parts for path in files)
    assert not any("target" in path.relative_to(PROJECT_ROOT).parts for path in files)


def test_a_new_mart_is_an_asset_without_a_manual_parse(tmp_path):
    """An analyst adds a mart's SQL and yml; the next load parses, and only that one."""
    project_dir = tmp_path / "dbt_project"
    shutil.copytree(
        PROJECT_ROOT / "dbt_project", project_dir, ignore=shutil.ignore_patterns("target", "logs")
    )
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    assert dbt_project_module.prepare_if_stale(project)
    assert not dbt_project_module.prepare_if_stale(project)
    mart = project_dir / "models" / "marts" / "x"
    mart.mkdir()
    (mart / "new_mart.sql").write_text("select 1 as id\n")
    (mart / "new_mart.yml").write_text(
        "version: 2\nmodels:\n  - name: new_mart\n    description: A new mart.\n"
        "    columns:\n      - name: id\n        data_type: integer\n"
        "        data_tests: [unique]\n"
    )
    assert dbt_project_module.prepare_if_stale(project)
    assert "model.spm.new_mart" in project.manifest_path.read_text()
    assert not dbt_project_module.prepare_if_stale(project)
