"""Superset's configuration for the SPM dashboards (`make bi`; SUPERSET_CONFIG_PATH points here).

Everything Superset writes goes under $SUPERSET_HOME (the Makefile: data/superset): its SQLite
metadata and a generated secret key. Readers stay safe: the BI file is opened read-only with a
new connection per query (Superset's NullPool for analytics databases), results are not cached,
so a publish is never blocked and the next refresh shows the new marts. Nothing phones home:
the content security policy lets the browser load nothing but this server (no telemetry pixel,
no Google Fonts, no map tiles).
"""

import os
import secrets
from pathlib import Path

HOME = Path(os.environ.get("SUPERSET_HOME", Path(__file__).resolve().parents[1] / "data/superset"))
HOME.mkdir(parents=True, exist_ok=True)
DATA_DIR = str(HOME)

SQLALCHEMY_DATABASE_URI = f"sqlite:///{HOME / 'superset.db'}"


def _secret_key() -> str:
    """``SUPERSET_SECRET_KEY`` (32 characters or more); a generated one only for the local demo
    (``SUPERSET_DEMO=1``)."""
    key = os.environ.get("SUPERSET_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise RuntimeError("SUPERSET_SECRET_KEY is too short: use 32 characters or more")
        return key
    if os.environ.get("SUPERSET_DEMO") != "1":
        raise RuntimeError(
            "SUPERSET_SECRET_KEY is not set: set a random key of 32+ characters, or "
            "SUPERSET_DEMO=1 for the local demo (bi/README.md)"
        )
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(42))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# No anonymous access: every reader logs in (and API calls run as that user).
PUBLIC_ROLE_LIKE = None

# Query results are not cached: a refresh after a publish shows the new numbers.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
# Chart and filter state the UI keeps between pages (not query results).
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}

FEATURE_FLAGS = {
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "DASHBOARD_RBAC": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    # Render every chart of a dashboard, not only those scrolled into view.
    "DASHBOARD_VIRTUALIZATION": False,
}

# No telemetry, no fonts or tiles from the internet: the browser may load from this server only.
SCARF_ANALYTICS = False
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False

# The dashboards are imported from bi/dashboards (make bi); no example data.
SUPERSET_LOAD_EXAMPLES = False
ROW_LIMIT = 50000
