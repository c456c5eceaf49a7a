"""Apply the access plan (python -m orchestration.cli.superset_access) to Superset: roles, users
and row-level security filters. Runs in Superset's venv through `bi/superset.sh access <json>`,
after the dashboards are imported (import bundles carry no roles or RLS filters). Idempotent:
every run makes Superset match the plan.

- Roles `Rep`, `Manager` and `Sales Ops`: Superset's Gamma permissions (dashboards, charts,
  explore; no SQL Lab, no database or all-datasource access) plus access to each dataset of the
  bundle. `Sales Ops` also gets the `sql_lab` role's permissions and the marts database. Each
  scoped user has a personal role `spm-scope:<username>` that carries their filters.
- Users: created when new, with a random password nobody knows (sign in through SSO, or an admin
  sets one: `superset fab reset-password`); with SUPERSET_DEMO=1 the password is `demo`. Names,
  e-mail and roles follow the plan on every run; a user who left (still holding one of the
  three roles, no longer in the plan) is deactivated and loses every role.
- RLS filters named with the plan's filter prefix (`spm:`) are replaced by the plan's; the
  role names, which get SQL Lab, and the prefixes all come from the plan.
"""

import json
import os
import secrets
import sys

from superset.app import create_app

DEMO_PASSWORD = "demo"


def apply(plan: dict) -> dict:
    from superset import db
    from superset import security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable

    datasets = {t.table_name: t for t in db.session.query(SqlaTable).all()}
    missing = [name for name in plan["datasets"] if name not in datasets]
    if missing:
        raise SystemExit(f"superset_access: datasets not imported: {', '.join(missing)}")

    gamma = sm.find_role("Gamma")
    sql_lab = sm.find_role("sql_lab")
    if gamma is None or sql_lab is None:
        raise SystemExit("superset_access: run `superset init` first (no Gamma/sql_lab role)")
    dataset_perms = [
        sm.add_permission_view_menu("datasource_access", datasets[name].perm)
        for name in plan["datasets"]
    ]
    databases = {datasets[name].database for name in plan["datasets"]}
    database_perms = [sm.add_permission_view_menu("database_access", d.perm) for d in databases]
    base = list(gamma.permissions) + dataset_perms
    sql_lab_extra = list(sql_lab.permissions) + database_perms
    managed_roles = plan["roles"]
    scope_prefix, filter_prefix = plan["scope_role_prefix"], plan["filter_prefix"]
    roles = {}
    for name in managed_roles:
        role = sm.find_role(name) or sm.add_role(name)
        extra = sql_lab_extra if name in plan["sql_lab_roles"] else []
        role.permissions = list(dict.fromkeys(base + extra))
        roles[name] = role

    demo = os.environ.get("SUPERSET_DEMO") == "1"
    wanted = {u["username"] for u in plan["users"]}
    created = updated = 0
    for entry in plan["users"]:
        user_roles = [roles[entry["role"]]]
        if entry["scope_role"]:
            user_roles.append(sm.find_role(entry["scope_role"]) or sm.add_role(entry["scope_role"]))
        user = sm.find_user(username=entry["username"])
        if user is None:
            password = DEMO_PASSWORD if demo else secrets.token_urlsafe(32)
            user = sm.add_user(
                entry["username"],
                entry["first_name"],
                entry["last_name"],
                entry["email"],
                user_roles,
                password=password,
            )
            if not user:
                raise SystemExit(f"superset_access: could not create {entry['username']}")
            created += 1
        else:
            user.first_name, user.last_name = entry["first_name"], entry["last_name"]
            user.email = entry["email"]
            # Roles the plan does not manage (Admin, say) stay.
            kept = [
                r
                for r in user.roles
                if r.name not in managed_roles and not r.name.startswith(scope_prefix)
            ]
            user.roles = kept + user_roles
            user.active = True
            updated += 1

    deactivated = 0
    for user in sm.get_all_users():
        if user.username in wanted:
            continue
        managed = [
            r for r in user.roles if r.name in managed_roles or r.name.startswith(scope_prefix)
        ]
        if managed:
            user.roles = [r for r in user.roles if r not in managed]
            user.active = False
            deactivated += 1

    for old in db.session.query(RowLevelSecurityFilter).all():
        if old.name.startswith(filter_prefix):
            db.session.delete(old)
    db.session.flush()
    for spec in plan["filters"]:
        filter_roles = [r for r in (sm.find_role(n) for n in spec["roles"]) if r is not None]
        db.session.add(
            RowLevelSecurityFilter(
                name=spec["name"],
                filter_type=spec["filter_type"],
                clause=spec["clause"],
                tables=[datasets[name] for name in spec["datasets"]],
                roles=filter_roles,
                description="Made by bi/superset_access.py from the BI file; edits are replaced.",
            )
        )
    scope_roles = {u["scope_role"] for u in plan["users"] if u["scope_role"]}
    for role in sm.get_all_roles():
        if role.name.startswith(scope_prefix) and role.name not in scope_roles:
            db.session.delete(role)
    db.session.commit()
    return {
        "users created": created,
        "users updated": updated,
        "users deactivated": deactivated,
        "filters": len(plan["filters"]),
    }


def set_password(username: str, password: str) -> None:
    from superset import security_manager as sm

    user = sm.find_user(username=username)
    if user is None:
        raise SystemExit(f"superset_access: no user {username}")
    if len(password) < 12:
        raise SystemExit("superset_access: use a password of 12 characters or more")
    sm.reset_password(user.id, password)


def main() -> None:
    """``<access.json>`` applies a plan; ``--password <username>`` sets that user's password
    from standard input (never from the command line, which other local users can read)."""
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--password":
        with create_app().app_context():
            set_password(args[1], sys.stdin.readline().rstrip("\n"))
        print(f"Superset access: password set for {args[1]}")
        return
    if len(args) != 1:
        raise SystemExit("usage: superset_access.py <access.json> | --password <username>")
    with open(args[0]) as f:
        plan = json.load(f)
    with create_app().app_context():
        counts = apply(plan)
    print("Superset access: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


if __name__ == "__main__":
    main()
