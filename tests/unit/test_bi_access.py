"""Who sees what in Superset (orchestration/lib/bi/access.py): users, roles and the filters,
from a small BI file with a three-level HRIS chain."""

from datetime import date

import duckdb
import pytest

from orchestration.lib.bi.access import (
    DENY_FILTER,
    MANAGER,
    REP,
    SALES_OPS,
    access_plan,
    in_list,
    key_column,
)

TODAY = date(2026, 12, 7)
REPS = [
    # rep_id, employee_id, name, email, department, active, hire, termination
    ("U-CRO", "E1", "Chief Boss", "Boss@Example.com", "Sales Leadership", True, "2015-01-01", None),
    ("U-VP", "E2", "Vera Vp", "vera@example.com", "Sales", True, "2016-01-01", None),
    ("U-M", "E3", "Max Manager", "max@example.com", "Sales", True, "2017-01-01", None),
    ("U-R1", "E4", "Rita Rep", "rita@example.com", "Sales", True, "2020-01-01", None),
    ("U-R2", "E5", "Rob O'Rep", "rob@example.com", "Sales", True, "2020-01-01", None),
    ("U-OPS", "E6", "Olga Ops", "olga@example.com", "Sales Operations", True, "2018-01-01", None),
    # Left yesterday; inactive in Salesforce; no HRIS record; no e-mail.
    ("U-GONE", "E7", "Gus Gone", "gus@example.com", "Sales", True, "2019-01-01", "2026-12-06"),
    ("U-OFF", "E8", "Ola Off", "ola@example.com", "Sales", False, "2019-01-01", None),
    ("U-NOHR", None, "Nora Nohr", "nora@example.com", "Sales", True, None, None),
    ("U-NOMAIL", "E9", "Ned Nomail", "", "Sales", True, "2019-01-01", None),
]
# E1 > E2 > E3 > {E4, E5}; E7 was under E3.
LINES = [
    ("E1", "E2", 1), ("E1", "E3", 2), ("E1", "E4", 3), ("E1", "E5", 3), ("E1", "E7", 3),
    ("E2", "E3", 1), ("E2", "E4", 2), ("E2", "E5", 2), ("E2", "E7", 2),
    ("E3", "E4", 1), ("E3", "E5", 1), ("E3", "E7", 1),
]  # fmt: skip


@pytest.fixture
def bi(tmp_path):
    path = tmp_path / "bi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_reps (rep_id varchar, employee_id varchar, rep_name varchar, "
            "email varchar, department varchar, is_active boolean, hire_date date, "
            "termination_date date)"
        )
        con.executemany("insert into marts.dim_reps values (?, ?, ?, ?, ?, ?, ?, ?)", REPS)
        con.execute(
            "create table marts.dim_manager_reports (manager_employee_id varchar, "
            "employee_id varchar, reporting_level integer)"
        )
        con.executemany("insert into marts.dim_manager_reports values (?, ?, ?)", LINES)
    return path


DATASETS = {
    "mart_commission_statements": {"employee_id", "rep_id", "payout_amount"},
    "mart_forecast": {"rep_id", "quarter_start"},
    "fct_opportunities": {"opportunity_id", "owner_rep_id"},
    "mart_seller_experience": {"department", "enps"},
}


def test_users_roles_and_scopes_follow_hris_and_salesforce(bi):
    plan = access_plan(bi, DATASETS, TODAY)
    users = {u.username: u for u in plan.users}
    # Leavers, inactive Salesforce users and users without HRIS record or e-mail get no user.
    assert set(users) == {
        "boss@example.com",
        "vera@example.com",
        "max@example.com",
        "rita@example.com",
        "rob@example.com",
        "olga@example.com",
    }
    assert users["olga@example.com"].role == SALES_OPS
    assert users["olga@example.com"].scope_role is None
    assert users["rita@example.com"].role == REP
    assert users["rita@example.com"].employee_ids == ("E4",)
    assert users["rita@example.com"].rep_ids == ("U-R1",)
    # The second-line manager: everyone below, every level, the leaver's rows included.
    vera = users["vera@example.com"]
    assert vera.role == MANAGER
    assert vera.employee_ids == ("E2", "E3", "E4", "E5", "E7")
    assert vera.rep_ids == ("U-GONE", "U-M", "U-R1", "U-R2", "U-VP")
    # A CRO outside the sales-ops departments is a manager of all.
    assert users["boss@example.com"].role == MANAGER
    assert users["boss@example.com"].email == "Boss@Example.com"
    assert (users["max@example.com"].first_name, users["max@example.com"].last_name) == (
        "Max",
        "Manager",
    )


def test_a_filter_per_scoped_user_and_key_column_and_a_base_filter_for_the_rest(bi):
    plan = access_plan(bi, DATASETS, TODAY)
    filters = {f.name: f for f in plan.filters}
    rita = filters["spm:rita@example.com:employee_id"]
    assert rita.clause == "employee_id in ('E4')"
    assert rita.datasets == ("mart_commission_statements",)
    assert rita.roles == ("spm-scope:rita@example.com",)
    assert filters["spm:rita@example.com:rep_id"].datasets == ("mart_forecast",)
    assert filters["spm:rita@example.com:owner_rep_id"].clause == "owner_rep_id in ('U-R1')"
    # Sales ops have no filter; the aggregate dataset is in no filter at all.
    assert not any("olga" in name for name in filters)
    assert all("mart_seller_experience" not in f.datasets for f in plan.filters)
    deny = filters[DENY_FILTER]
    assert (deny.filter_type, deny.clause) == ("Base", "1 = 0")
    keyed = {"mart_commission_statements", "mart_forecast", "fct_opportunities"}
    assert set(deny.datasets) == keyed
    assert {"Sales Ops", "Admin", "spm-scope:rita@example.com"} <= set(deny.roles)
    assert plan.to_json()["users"][0]["scope_role"] == "spm-scope:boss@example.com"


def test_clauses_quote_values_and_deny_an_empty_scope():
    assert in_list("rep_id", ("b", "O'Hara", "a")) == "rep_id in ('O''Hara', 'a', 'b')"
    assert in_list("rep_id", ()) == "1 = 0"
    assert key_column({"rep_id", "employee_id"}) == "employee_id"
    assert key_column({"owner_rep_id"}) == "owner_rep_id"
    assert key_column({"department"}) is None


def test_sales_ops_departments_come_from_the_setting(monkeypatch):
    from spm_common.settings import sales_ops_departments

    monkeypatch.delenv("SPM_BI_SALES_OPS_DEPARTMENTS", raising=False)
    assert sales_ops_departments() == ("Sales Operations",)
    monkeypatch.setenv("SPM_BI_SALES_OPS_DEPARTMENTS", " Sales Operations, RevOps ,, ")
    assert sales_ops_departments() == ("Sales Operations", "RevOps")
    monkeypatch.setenv("SPM_BI_SALES_OPS_DEPARTMENTS", " ")
    assert sales_ops_departments() == ("Sales Operations",)


def test_a_custom_sales_ops_department_gives_every_row(bi):
    plan = access_plan(bi, DATASETS, TODAY, ("Sales",))
    roles = {u.username: u.role for u in plan.users}
    assert roles["rita@example.com"] == SALES_OPS
    assert roles["olga@example.com"] == REP
