"""Who sees what in Superset: roles, users and row-level security, computed from the BI file.

Users are the Salesforce users with an HRIS record who are employed today (``marts.dim_reps``:
User.EmployeeNumber = HRIS employee_id, HRIS termination_date): username = their e-mail,
lower-cased. Each gets one role:

- ``Sales Ops``: an HRIS department in ``sales_ops_departments`` (default Sales Operations). All
  rows, SQL Lab on the marts.
- ``Manager``: anyone with someone under them in the HRIS manager chain
  (``marts.dim_manager_reports``, every level). Their own rows and those of everyone under them.
- ``Rep``: everyone else. Their own rows.

Row-level security is a filter per user and key column (Superset applies a role's filters,
so each user also gets a personal role, ``spm-scope:<username>``): ``employee_id in (...)`` on a
dataset with an ``employee_id`` column, else ``rep_id in (...)``, else ``owner_rep_id in (...)``.
Datasets without any of these are aggregates (the stage funnel, seller experience, turnover:
survey groups below the minimum size are already suppressed in the marts) and are seen whole.
A base filter ``1 = 0`` on every keyed dataset covers anyone else (a user added by hand with
the Rep role and no scope sees no rows). bi/superset_access.py applies the plan in Superset.
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from spm_common.schemas import MARTS_SCHEMA
from spm_common.settings import DEFAULT_SALES_OPS_DEPARTMENTS

REP, MANAGER, SALES_OPS = "Rep", "Manager", "Sales Ops"
ROLES = (REP, MANAGER, SALES_OPS)
# A dataset's row key, by preference: commission is by employee, pipeline by rep.
KEY_COLUMNS = ("employee_id", "rep_id", "owner_rep_id")
SCOPE_ROLE_PREFIX = "spm-scope:"
FILTER_PREFIX = "spm:"
DENY_FILTER = FILTER_PREFIX + "no scope, no rows"


@dataclass(frozen=True)
class BiUser:
    username: str
    email: str
    first_name: str
    last_name: str
    employee_id: str
    role: str
    # What they may see: their own ids and those of everyone under them (none for Sales Ops,
    # who see all rows).
    employee_ids: tuple[str, ...] = ()
    rep_ids: tuple[str, ...] = ()

    @property
    def scope_role(self) -> str | None:
        return None if self.role == SALES_OPS else SCOPE_ROLE_PREFIX + self.username


@dataclass(frozen=True)
class RlsFilter:
    name: str
    clause: str
    datasets: tuple[str, ...]
    # Regular: applies to these roles. Base: applies to everyone but these roles.
    roles: tuple[str, ...]
    filter_type: str = "Regular"


@dataclass
class AccessPlan:
    users: list[BiUser]
    # Datasets each role may open (all of them: rows are limited by the filters).
    datasets: list[str]
    filters: list[RlsFilter] = field(default_factory=list)

    def to_json(self) -> dict:
        # bi/superset_access.py applies this and names nothing itself: the roles, which of them
        # get SQL Lab, and the prefixes of what it made (replaced on every apply).
        return {
            "roles": list(ROLES),
            "sql_lab_roles": [SALES_OPS],
            "scope_role_prefix": SCOPE_ROLE_PREFIX,
            "filter_prefix": FILTER_PREFIX,
            "datasets": self.datasets,
            "users": [asdict(u) | {"scope_role": u.scope_role} for u in self.users],
            "filters": [asdict(f) for f in self.filters],
        }


def key_column(columns: set[str]) -> str | None:
    return next((c for c in KEY_COLUMNS if c in columns), None)


def in_list(column: str, values: tuple[str, ...]) -> str:
    """``column in ('a', 'b')`` with quotes doubled; ``1 = 0`` for no values."""
    if not values:
        return "1 = 0"
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))
    return f"{column} in ({quoted})"


def bi_users(
    con: duckdb.DuckDBPyConnection,
    today: date,
    sales_ops_departments: tuple[str, ...] = DEFAULT_SALES_OPS_DEPARTMENTS,
) -> list[BiUser]:
    """Every employed Salesforce user with an HRIS record and an e-mail, with role and scope."""
    rows = con.execute(
        f"""
        with people as (
            select
                lower(trim(email)) as username,
                trim(email) as email,
                rep_name,
                employee_id,
                department
            from {MARTS_SCHEMA}.dim_reps
            where
                is_active
                and employee_id is not null
                and coalesce(trim(email), '') != ''
                and hire_date is not null
                and (termination_date is null or termination_date >= $today)
            -- One user per e-mail and per employee (the first Salesforce user of either).
            qualify
                row_number() over (partition by lower(trim(email)) order by rep_id) = 1
                and row_number() over (partition by employee_id order by rep_id) = 1
        ),
        scope as (
            select
                people.username,
                list_distinct(
                    list_value(people.employee_id)
                    || coalesce(list(lines.employee_id) filter (lines.employee_id is not null), [])
                ) as employee_ids,
                count(lines.employee_id) as reports
            from people
            left join {MARTS_SCHEMA}.dim_manager_reports as lines
                on people.employee_id = lines.manager_employee_id
            group by people.username, people.employee_id
        )
        select
            people.username,
            people.email,
            people.rep_name,
            people.employee_id,
            people.department,
            scope.reports,
            list_sort(scope.employee_ids) as employee_ids,
            list_sort(
                coalesce(
                    (
                        select list(reps.rep_id)
                        from {MARTS_SCHEMA}.dim_reps as reps
                        where list_contains(scope.employee_ids, reps.employee_id)
                    ),
                    []
                )
            ) as rep_ids
        from people
        inner join scope on people.username = scope.username
        order by people.username
        """,
        {"today": today},
    ).fetchall()
    users = []
    for username, email, name, employee_id, department, reports, employee_ids, rep_ids in rows:
        first, _, last = (name or username).partition(" ")
        if department in sales_ops_departments:
            role, employee_ids, rep_ids = SALES_OPS, [], []
        else:
            role = MANAGER if reports else REP
        users.append(
            BiUser(
                username=username,
                email=email,
                first_name=first,
                last_name=last or first,
                employee_id=employee_id,
                role=role,
                employee_ids=tuple(employee_ids),
                rep_ids=tuple(rep_ids),
            )
        )
    return users


def access_plan(
    bi_database: Path,
    dataset_columns: dict[str, set[str]],
    today: date,
    sales_ops_departments: tuple[str, ...] = DEFAULT_SALES_OPS_DEPARTMENTS,
) -> AccessPlan:
    """The users of ``bi_database`` and a filter per scoped user and key column over the
    datasets (name -> columns) of the Superset bundle."""
    with duckdb.connect(str(bi_database), read_only=True) as con:
        users = bi_users(con, today, sales_ops_departments)
    keyed: dict[str, list[str]] = {}
    for name, columns in sorted(dataset_columns.items()):
        column = key_column(columns)
        if column:
            keyed.setdefault(column, []).append(name)
    filters = []
    for user in users:
        if user.scope_role is None:
            continue
        for column, datasets in keyed.items():
            values = user.employee_ids if column == "employee_id" else user.rep_ids
            filters.append(
                RlsFilter(
                    name=f"{FILTER_PREFIX}{user.username}:{column}",
                    clause=in_list(column, values),
                    datasets=tuple(datasets),
                    roles=(user.scope_role,),
                )
            )
    exempt = (SALES_OPS, "Admin", *(u.scope_role for u in users if u.scope_role))
    every_keyed = tuple(sorted(n for names in keyed.values() for n in names))
    filters.append(RlsFilter(DENY_FILTER, "1 = 0", every_keyed, exempt, "Base"))
    return AccessPlan(users=users, datasets=sorted(dataset_columns), filters=filters)
