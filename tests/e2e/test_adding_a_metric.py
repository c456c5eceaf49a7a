"""docs/metrics.md's "Adding a metric" recipe, followed to the letter on a copy of the project.

The test copies the repository (code, dbt project, no data, no dbt artifacts), writes the two
files docs/metrics.md's section shows (the SQL and the yml, taken from the page itself, so the
page stays true), and runs the pipeline the way a user does, on a copy of the session's
generated run. It finds the new mart published, its data tests run as asset checks of its
asset, and its metric answered by ``mf query`` on the published file with the mart's numbers.
Then a deliberately failing test is added to the new yml: that run fails and publish does not
touch the BI file. Nothing else is edited: no Python, no ``make manifest``.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.dagster.pipeline import materialize_command, pipeline_environment
from tests.helpers.pipeline import (
    GENERATED_AS_OF,
    REPO_ROOT,
    PipelineRun,
    latest_run,
    query,
)

pytestmark = pytest.mark.e2e

RECIPE_PAGE = REPO_ROOT / "docs" / "metrics.md"
SECTION = "## Adding a metric"
FENCED = re.compile(r"```(?:sql|yaml)\n(?P<body>.*?)```", re.DOTALL)
PATH_COMMENT = re.compile(r"^(?:--|#) (?P<path>dbt_project/\S+)\n")
# MetricFlow's mf without its PyPI update check, as docs/metrics.md runs it.
MF = (sys.executable, "-m", "orchestration.cli.metrics")
COPY_IGNORES = shutil.ignore_patterns(
    ".git", ".venv", "data", "target", "logs", "__pycache__", ".pytest_cache", ".ruff_cache"
)
# The failing rule added in the second run, to the tests of rep_id: no rep can satisfy it.
TESTS_OF_A_COLUMN = "        data_tests:\n"
FAILING_TEST = """          - accepted_values:
              name: large_deals_of_nobody
              arguments: {values: ['nobody']}
"""


def recipe_files(readme: str) -> dict[str, str]:
    """The files of docs/metrics.md's section: fenced blocks whose first line names their path."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in FENCED.finditer(section):
        named = PATH_COMMENT.match(block["body"])
        if named:
            files[named["path"]] = block["body"][named.end() :]
    return files


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess
    status: dg.DagsterRunStatus
    published: bool
    # asset check name -> (passed, severity) for the checks of the new mart's asset
    checks: dict[str, tuple[bool, dg.AssetCheckSeverity]]


@dataclass(frozen=True)
class Recipe:
    project: Path
    files: dict[str, str]
    env: dict[str, str]
    first: Run
    bi_after_first: bytes
    second: Run
    bi_after_second: bytes
    mf: subprocess.CompletedProcess

    @property
    def bi(self) -> Path:
        return Path(self.env["SPM_BI_DATABASE"])


def mart_name(files: dict[str, str]) -> str:
    [sql] = [path for path in files if path.endswith(".sql")]
    return Path(sql).stem


def run_pipeline(project: Path, env: dict[str, str], mart: str) -> Run:
    result = subprocess.run(
        materialize_command(),
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    key = dg.AssetKey(["marts", mart])
    run = latest_run(env["DAGSTER_HOME"])
    checks = {
        e.asset_check_key.name: (e.passed, e.severity)
        for e in run.check_evaluations
        if e.asset_check_key.asset_key == key
    }
    return Run(result, run.status, dg.AssetKey("publish") in run.materialized, checks)


@pytest.fixture(scope="module")
def recipe(generated_run: PipelineRun, tmp_path_factory) -> Recipe:
    root = tmp_path_factory.mktemp("adding_a_metric")
    project = root / "project"
    shutil.copytree(REPO_ROOT, project, ignore=COPY_IGNORES)
    files = recipe_files(RECIPE_PAGE.read_text())
    assert len(files) == 2, f"docs/metrics.md's recipe should show two files: {sorted(files)}"
    for path, text in files.items():
        assert not (project / path).exists(), f"{path} already exists in the project"
        (project / path).write_text(text)
    mart = mart_name(files)

    # The session's generated run (landing, warehouse, BI file, Dagster instance), copied.
    work = root / "work"
    shutil.copytree(generated_run.landing.parent, work)
    env = pipeline_environment(work, as_of=GENERATED_AS_OF.isoformat())
    env["PYTHONPATH"] = str(project)  # the copy's code, not the installed repository's
    first = run_pipeline(project, env, mart)
    bi_after_first = Path(env["SPM_BI_DATABASE"]).read_bytes()

    mf = subprocess.run(
        [
            *MF,
            *("query", "--metrics", "large_deals_won"),
            *("--group-by", "metric_time__quarter", "--order", "metric_time__quarter"),
            *("--csv", str(root / "large_deals_won.csv")),
        ],
        cwd=project / "dbt_project",
        env=env | {"SPM_DBT_TARGET": "bi"},
        capture_output=True,
        text=True,
        timeout=600,
    )

    yml = next(project / path for path in files if path.endswith(".yml"))
    text = yml.read_text()
    assert text.count(TESTS_OF_A_COLUMN) >= 1
    yml.write_text(text.replace(TESTS_OF_A_COLUMN, TESTS_OF_A_COLUMN + FAILING_TEST, 1))
    second = run_pipeline(project, env, mart)
    return Recipe(
        project,
        files,
        env,
        first,
        bi_after_first,
        second,
        Path(env["SPM_BI_DATABASE"]).read_bytes(),
        mf,
    )


def tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-3000:] + result.stderr[-3000:]


def test_the_readme_recipe_is_two_files_in_one_mart_folder(recipe: Recipe):
    paths = sorted(recipe.files)
    assert [Path(p).suffix for p in paths] == [".sql", ".yml"]
    assert Path(paths[0]).parent == Path(paths[1]).parent
    assert Path(paths[0]).parent.parent == Path("dbt_project/models/marts")
    assert Path(paths[0]).stem == Path(paths[1]).stem


def test_the_new_mart_is_published_with_the_numbers_its_sql_promises(recipe: Recipe):
    assert recipe.first.result.returncode == 0, tail(recipe.first.result)
    assert recipe.first.status == dg.DagsterRunStatus.SUCCESS
    assert recipe.first.published
    mart = mart_name(recipe.files)
    published = query(
        recipe.bi,
        f"select rep_id, quarter_start, large_deals_won, large_deal_amount "
        f"from marts.{mart} order by all",
    )
    # The same rule, computed here from the published opportunities (fiscal year = calendar).
    expected = query(
        recipe.bi,
        "select owner_rep_id, cast(date_trunc('quarter', close_date) as date), count(*), "
        "sum(amount) from marts.fct_opportunities "
        "where is_won and amount >= 100000 and owner_rep_id is not null group by all order by all",
    )
    assert published == expected
    assert len(published) > 0, "the generated data should have large deals"


def test_the_new_yml_tests_ran_as_asset_checks_of_the_new_mart(recipe: Recipe):
    checks = recipe.first.checks
    assert any(name.startswith("relationships") for name in checks), checks
    assert all(passed for passed, _ in checks.values()), checks


def test_the_new_constraints_are_enforced_by_duckdb(recipe: Recipe):
    """The grain and the row rule of the yml are constraints of the built table."""
    mart = mart_name(recipe.files)
    with duckdb.connect(recipe.env["SPM_WAREHOUSE"], read_only=True) as con:
        constraints = con.execute(
            "select constraint_type, constraint_text from duckdb_constraints() "
            "where schema_name = 'marts' and table_name = ?",
            [mart],
        ).fetchall()
    assert ("PRIMARY KEY", "PRIMARY KEY(rep_id, quarter_start)") in constraints, constraints
    assert ("CHECK", "CHECK((large_deals_won >= 1))") in constraints, constraints


def test_the_new_metric_is_queryable_on_the_published_file(recipe: Recipe):
    assert recipe.mf.returncode == 0, tail(recipe.mf)
    mart = mart_name(recipe.files)
    csv = recipe.project.parent / "large_deals_won.csv"
    with duckdb.connect() as con:
        answered = con.execute(
            f"select cast(metric_time__quarter as date), large_deals_won "
            f"from read_csv('{csv}') order by 1"
        ).fetchall()
    expected = query(
        recipe.bi,
        f"select quarter_start, sum(large_deals_won) from marts.{mart} group by all order by 1",
    )
    assert answered == expected


def test_a_failing_test_in_the_new_yml_blocks_publish(recipe: Recipe):
    second = recipe.second
    assert second.result.returncode != 0, tail(second.result)
    assert second.status == dg.DagsterRunStatus.FAILURE
    assert not second.published
    failing = [name for name in second.checks if name.startswith("large_deals_of_nobody")]
    assert failing, second.checks
    assert second.checks[failing[0]] == (False, dg.AssetCheckSeverity.ERROR)
    assert recipe.bi_after_second == recipe.bi_after_first


def test_nothing_but_the_two_files_was_added_to_the_copy(recipe: Recipe):
    """The recipe needs no other edit: the copy differs from the repository only by them."""
    added = sorted(
        str(path.relative_to(recipe.project))
        for path in recipe.project.rglob("*")
        if path.is_file()
        and not {"target", "logs", "__pycache__"} & set(path.relative_to(recipe.project).parts)
        and not (REPO_ROOT / path.relative_to(recipe.project)).exists()
    )
    assert added == sorted(recipe.files)
