"""The commission rules are dbt tests, so dagster-dbt makes them asset checks of their models.

Statements reconcile to their lines and the credits of every won deal sum to 100 % (blocking:
a failure stops publish); a statement without quota and lines without a statement are warnings.
What each test finds is tested by the dbt tests' own fixtures; here, that Dagster sees them.
"""

import pytest

from orchestration.defs.dbt.assets import model_key, spm_dbt_models

RULES = [
    # dbt test, the model it is attached to, blocking
    ("commission_statements_reconcile", "mart_commission_statements", True),
    ("won_deal_credits_sum_to_amount", "int_opportunity_credits", True),
    ("commission_quota_present", "mart_commission_statements", False),
    ("commission_lines_have_statements", "fct_commission_lines", False),
]


@pytest.fixture(scope="module")
def checks_by_asset() -> dict:
    checks: dict = {}
    for spec in spm_dbt_models.check_specs:
        checks.setdefault(spec.asset_key, []).append(spec)
    return checks


@pytest.mark.parametrize(("test", "model", "blocking"), RULES)
def test_commission_rules_are_asset_checks(checks_by_asset, test, model, blocking):
    specs = checks_by_asset.get(model_key(model), [])
    [spec] = [s for s in specs if s.name.startswith(f"{test}_{model}")] or [None]
    assert spec is not None, (test, sorted(s.name for s in specs))
    assert spec.blocking is blocking
