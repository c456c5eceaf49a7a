"""The dbt project's one convention (docs/architecture.md, "dbt conventions"), checked on the
files: a model's SQL and its one yml side by side, holding that model's docs, tests and unit
tests and nothing else; generic tests in ``tests/generic/``, never in ``macros/``."""

import itertools
import re
from pathlib import Path

import yaml

from spm_common.paths import DBT_PROJECT_DIR

MODELS = DBT_PROJECT_DIR / "models"
SOURCES_YML = re.compile(r"^_[a-z_]+__sources\.yml$")


def model_ymls() -> list[Path]:
    return [p for p in sorted(MODELS.rglob("*.yml")) if not SOURCES_YML.match(p.name)]


def test_every_model_has_its_own_yml_beside_its_sql():
    problems = [
        f"{sql.relative_to(DBT_PROJECT_DIR)} has no {sql.stem}.yml beside it"
        for sql in sorted(MODELS.rglob("*.sql"))
        if not sql.with_suffix(".yml").is_file()
    ]
    problems += [
        f"{yml.relative_to(DBT_PROJECT_DIR)} has no {yml.stem}.sql beside it"
        for yml in model_ymls()
        if not yml.with_suffix(".sql").is_file()
    ]
    assert not problems, "\n".join(problems)


def test_a_models_yml_describes_that_model_and_unit_tests_only_it():
    problems = []
    for yml in model_ymls():
        content = yaml.safe_load(yml.read_text()) or {}
        where = yml.relative_to(DBT_PROJECT_DIR)
        names = [model["name"] for model in content.get("models", [])]
        if names != [yml.stem]:
            problems.append(f"{where} describes {names}, expected [{yml.stem!r}]")
        problems += [
            f"{where}: unit test {test['name']} is of {test['model']}, expected {yml.stem}"
            for test in content.get("unit_tests", [])
            if test["model"] != yml.stem
        ]
        if "sources" in content:
            problems.append(f"{where} declares sources: they go in _<source>__sources.yml")
    assert not problems, "\n".join(problems)


def test_generic_tests_live_in_tests_generic():
    in_macros = [
        str(path.relative_to(DBT_PROJECT_DIR))
        for path in sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql"))
        if re.search(r"{%-?\s*test\s", path.read_text())
    ]
    assert not in_macros, f"generic tests outside tests/generic/: {in_macros}"
    assert any((DBT_PROJECT_DIR / "tests" / "generic").glob("*.sql"))


def test_one_cte_format_no_blank_line_just_inside_a_bracket():
    """sqlfluff enforces the rest of the CTE format (layout.cte_bracket, layout.cte_newline);
    it has no rule for a blank line just after ``(`` or just before ``)``."""
    problems = []
    paths = [
        p
        for folder in ("models", "macros", "tests")
        for p in (DBT_PROJECT_DIR / folder).rglob("*.sql")
    ]
    for path in sorted(paths):
        lines = path.read_text().splitlines()
        for number, (line, following) in enumerate(itertools.pairwise(lines), 1):
            if line.rstrip().endswith("(") and not following.strip():
                problems.append(f"{path.relative_to(DBT_PROJECT_DIR)}:{number + 1} blank after (")
            if not line.strip() and following.strip().startswith(")"):
                problems.append(f"{path.relative_to(DBT_PROJECT_DIR)}:{number} blank before )")
    assert not problems, "\n".join(problems)
