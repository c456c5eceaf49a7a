#!/usr/bin/env bash
# Superset for the SPM dashboards, from its own venv (.venv-bi). Used by `make bi` and
# tests/e2e/test_bi_superset.py.
#   bi/superset.sh init             metadata (SQLite under $SUPERSET_HOME), admin user, roles
#   bi/superset.sh import <zip>     the dashboards bundle (overwrites the earlier import)
#   bi/superset.sh access <json>    roles, users and row-level security (bi/superset_access.py)
#   bi/superset.sh password <user>  set a user's password, read from standard input
#   bi/superset.sh serve [port]     gunicorn on 127.0.0.1 (default 8088), in the foreground
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${SUPERSET_VENV:-$ROOT/.venv-bi}/bin"
export SUPERSET_HOME="${SUPERSET_HOME:-$ROOT/data/superset}"
export SUPERSET_CONFIG_PATH="$ROOT/bi/superset_config.py"
export FLASK_APP=superset
# Superset's own build reads this; the CSP in superset_config.py blocks the pixel regardless.
export SCARF_ANALYTICS=false
# Its metadata holds users and password hashes: owner only.
umask 077
# Outside the demo (SUPERSET_DEMO=1: admin/admin and a generated key), the secret key and the
# admin password are required: no default password reaches a real server.
if [ "${SUPERSET_DEMO:-}" = "1" ]; then
  ADMIN_PASSWORD="${SUPERSET_ADMIN_PASSWORD:-admin}"
else
  missing=()
  [ -n "${SUPERSET_SECRET_KEY:-}" ] || missing+=(SUPERSET_SECRET_KEY)
  [ -n "${SUPERSET_ADMIN_PASSWORD:-}" ] || missing+=(SUPERSET_ADMIN_PASSWORD)
  if [ "${#missing[@]}" -gt 0 ] && [ "${1:-}" != "" ]; then
    echo "bi/superset.sh: set ${missing[*]} (a random key of 32+ characters, e.g." \
      "\`openssl rand -base64 42\`; the admin's password), or SUPERSET_DEMO=1 for the local demo" \
      "(admin/admin, a generated key; make bi DEMO=1)." >&2
    exit 2
  fi
  ADMIN_PASSWORD="${SUPERSET_ADMIN_PASSWORD:-}"
fi
mkdir -p "$SUPERSET_HOME"
chmod 700 "$SUPERSET_HOME"

case "${1:-}" in
  init)
    # Upgrading an up-to-date database is quick; roles and the admin only on the first run.
    "$BIN/superset" db upgrade >"$SUPERSET_HOME/init.log" 2>&1
    if [ ! -f "$SUPERSET_HOME/.initialized" ]; then
      "$BIN/superset" fab create-admin --username admin --firstname SPM --lastname Admin \
        --email admin@localhost --password "$ADMIN_PASSWORD" >>"$SUPERSET_HOME/init.log" 2>&1
      "$BIN/superset" init >>"$SUPERSET_HOME/init.log" 2>&1
      touch "$SUPERSET_HOME/.initialized"
    fi
    ;;
  import)
    "$BIN/superset" import-dashboards -p "$2" -u admin >"$SUPERSET_HOME/import.log" 2>&1 \
      || { cat "$SUPERSET_HOME/import.log" >&2; exit 1; }
    ;;
  access)
    "$BIN/python" "$ROOT/bi/superset_access.py" "$2" 2>"$SUPERSET_HOME/access.log" \
      || { tail -n 40 "$SUPERSET_HOME/access.log" >&2; exit 1; }
    ;;
  password)
    "$BIN/python" "$ROOT/bi/superset_access.py" --password "$2" 2>"$SUPERSET_HOME/access.log" \
      || { tail -n 40 "$SUPERSET_HOME/access.log" >&2; exit 1; }
    ;;
  serve)
    PORT="${2:-8088}"
    exec "$BIN/gunicorn" --bind "127.0.0.1:$PORT" --workers 1 --worker-class gthread \
      --threads 8 --timeout 120 --limit-request-line 0 --limit-request-field_size 0 \
      "superset.app:create_app()"
    ;;
  *)
    echo "usage: bi/superset.sh init | import <bundle.zip> | access <access.json> | password <user> | serve [port]" >&2
    exit 2
    ;;
esac
