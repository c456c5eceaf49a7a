"""Opt-in: the Superset dashboards in a real headless Chromium (`make test-bi`).

A pipeline run's marts are published to a BI file; Superset 6 (its own venv, `.venv-bi`) gets
its own metadata in a temp folder, the bundle built from the semantic layer and bi/dashboards,
and serves on a free port. Chromium (Debian's, driven through chromedriver's W3C WebDriver HTTP
API, no client library) logs in, opens every dashboard, waits for every chart, asserts none
shows an error and that one figure per dashboard equals the marts' number, and saves a
screenshot to docs/img/. Then new marts are published (orchestration.lib.publish.bi_file, the
pipeline's own atomic swap) while Superset runs: the publish is not blocked, and a refresh
shows the new numbers without an error. Nothing may load from outside 127.0.0.1: Chromium
resolves no other host, and Superset's content security policy must have blocked what the UI
asks for (its telemetry pixel) before the browser even tried.

Runs only with SPM_TEST_BI=1, `.venv-bi` installed and chromium + chromedriver on the PATH.
"""

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.bi.superset_bundle import project_bundle, write_bundle
from orchestration.lib.publish.bi_file import publish_marts

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERSET = REPO_ROOT / "bi" / "superset.sh"
SCREENSHOTS = REPO_ROOT / "docs" / "img"
PASSWORD = "test-bi-password"

# The figure of one chart per dashboard, computed from the marts' own columns (not from the
# metric translation under test), its d3 format in Python, and the change a publish makes.
CHECKS = {
    "pipeline_forecast": (
        "select sum(forecast_commit_amount) from marts.mart_forecast",
        "{:,.2f}",
        "update marts.mart_forecast set commit_amount = commit_amount + 1000, "
        "forecast_commit_amount = forecast_commit_amount + 1000",
    ),
    "rep_scorecard": (
        "select sum(credited_bookings) / sum(quota_amount) from marts.mart_rep_performance_monthly",
        "{:.1%}",
        "update marts.mart_rep_performance_monthly set credited_bookings = credited_bookings "
        "+ 50000 where quota_amount > 0",
    ),
    "sales_cycle_funnel": (
        "select avg(sales_cycle_days) from marts.fct_opportunities where is_won",
        "{:,.2f}",
        "update marts.fct_opportunities set sales_cycle_days = sales_cycle_days + 10",
    ),
    "seller_experience": (
        "select sum(separations) from marts.mart_turnover_quarterly",
        "{:,d}",
        "update marts.mart_turnover_quarterly set separations = separations + 1",
    ),
    "commission": (
        "select sum(payout_amount) from marts.mart_commission_statements",
        "{:,.2f}",
        "update marts.mart_commission_statements set payout_amount = payout_amount + 100, "
        "capped_commission = capped_commission + 100",
    ),
    "enablement_ramp": (
        "select sum(trainings_completed) from marts.mart_enablement_monthly",
        "{:,d}",
        "update marts.mart_enablement_monthly set trainings_completed = trainings_completed + 1",
    ),
}


def _skip_reason() -> str | None:
    if os.environ.get("SPM_TEST_BI") != "1":
        return "Superset browser test is opt-in: set SPM_TEST_BI=1 (make test-bi)"
    if not (REPO_ROOT / ".venv-bi" / "bin" / "superset").exists():
        return "Superset not installed: make install-bi"
    missing = [b for b in ("chromium", "chromedriver") if shutil.which(b) is None]
    if missing:
        return f"{', '.join(missing)} not found: apt-get install chromium chromium-driver"
    return None


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=180) as response:
        return json.loads(response.read())


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Browser:
    """Headless Chromium through chromedriver's W3C WebDriver HTTP API."""

    def __init__(self, profile: Path):
        port = free_port()
        self.driver = subprocess.Popen(
            ["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http("GET", self.base + "/status")["value"]["ready"], 30, "chromedriver")
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1600,2400",
            # Nothing but this machine: every other host name fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        ]
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": shutil.which("chromium"), "args": args},
            "goog:loggingPrefs": {"performance": "ALL"},
        }
        value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = f"/session/{value['sessionId']}"
        self.network: list[dict] = []

    def _call(self, method: str, path: str, body: dict | None = None):
        return http(method, self.base + path, body)["value"]

    def get(self, url: str) -> None:
        self._call("POST", f"{self.session}/url", {"url": url})

    def js(self, script: str, *args):
        body = {"script": script, "args": list(args)}
        return self._call("POST", f"{self.session}/execute/sync", body)

    def type(self, css: str, text: str) -> None:
        query = {"using": "css selector", "value": css}
        found = self._call("POST", f"{self.session}/element", query)
        element = next(iter(found.values()))
        self._call("POST", f"{self.session}/element/{element}/value", {"text": text})

    def screenshot(self, path: Path) -> None:
        """The page down to its last chart (Chromium's own capture, clipped)."""
        height = self.js(
            "return Math.max(...Array.from(document.querySelectorAll("
            "'.dashboard-component-chart-holder')).map("
            "e => e.getBoundingClientRect().bottom + window.scrollY)) + 24"
        )
        clip = {"x": 0, "y": 0, "width": 1600, "height": round(height), "scale": 1}
        command = {"cmd": "Page.captureScreenshot", "params": {"format": "png", "clip": clip}}
        image = self._call("POST", f"{self.session}/goog/cdp/execute", command)["data"]
        path.write_bytes(base64.b64decode(image))

    def collect_network(self) -> None:
        entries = self._call("POST", f"{self.session}/se/log", {"type": "performance"})
        self.network += [json.loads(e["message"])["message"] for e in entries]

    def close(self) -> None:
        try:
            self._call("DELETE", self.session)
        finally:
            self.driver.terminate()
            self.driver.wait(10)


CHARTS_STATE = """
const holders = Array.from(document.querySelectorAll('.dashboard-component-chart-holder'));
return holders.map(h => ({
  text: h.innerText.slice(0, 300),
  rendered: h.querySelector('[data-test-viz-type]') !== null,
  loading: h.querySelector('.loading, [data-test="loading-indicator"]') !== null,
  error: Array.from(h.querySelectorAll(
      '.ant-alert-error, .alert-danger, [data-test="error-message"], [role="alert"]'))
    .map(e => e.innerText).join(' | '),
  big: (h.querySelector('.header-line') || {}).innerText || null,
}));
"""


def open_dashboard(browser: Browser, base: str, slug: str, spec: dict) -> list[dict]:
    """Every chart of the dashboard rendered, none loading: their state."""
    browser.get(f"{base}/superset/dashboard/{slug}/")
    expected = sum(len(row) for row in spec["rows"])

    def ready():
        charts = browser.js(CHARTS_STATE)
        done = len(charts) == expected and all(c["rendered"] or c["error"] for c in charts)
        return charts if done and not any(c["loading"] for c in charts) else None

    wait_until(ready, 120, f"every chart of {slug}")
    time.sleep(1)  # let the charts' animations settle before reading or capturing
    return browser.js(CHARTS_STATE)


def checked_figure(charts: list[dict], spec: dict) -> str:
    name = next(c["name"] for row in spec["rows"] for c in row if c.get("check"))
    return next(c["big"] for c in charts if c["text"].startswith(name))


def expected_figure(bi: Path, slug: str) -> str:
    sql, number_format, _ = CHECKS[slug]
    with duckdb.connect(str(bi), read_only=True) as con:
        value = con.execute(sql).fetchone()[0]
    return number_format.format(value)


def publish_changed_marts(bi: Path, scratch: Path) -> float:
    """A warehouse with the BI file's marts, changed by CHECKS, published over the BI file by
    the pipeline's publish (an atomic rename). Returns the seconds the publish took."""
    warehouse = scratch / "changed.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"attach '{bi}' as bi (read_only)")
        con.execute("create schema marts")
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'bi'"
        ).fetchall():
            con.execute(f'create table marts."{table}" as select * from bi.marts."{table}"')
        con.execute("detach bi")
        for _, _, change in CHECKS.values():
            con.execute(change)
    started = time.monotonic()
    publish_marts(warehouse, bi)
    return time.monotonic() - started


def test_dashboards_render_in_chromium_and_follow_a_publish(generated_run, tmp_path):
    bi = tmp_path / "bi" / "spm.duckdb"
    publish_marts(generated_run.warehouse, bi)
    built = project_bundle(bi)
    specs = built.specs
    assert set(specs) == set(CHECKS), "every dashboard needs a checked figure in CHECKS"
    bundle = tmp_path / "bundle.zip"
    write_bundle(built.files, bundle)

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SPM_", "SUPERSET_"))},
        "SUPERSET_HOME": str(tmp_path / "superset"),
        "SUPERSET_ADMIN_PASSWORD": PASSWORD,
        # Outside the demo flag both secrets are required (bi/superset.sh).
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
    }
    for command in (["init"], ["import", str(bundle)]):
        result = subprocess.run(
            [str(SUPERSET), *command], env=env, capture_output=True, text=True, timeout=600
        )
        log = tmp_path / "superset" / f"{command[0]}.log"
        details = log.read_text()[-5000:] if log.exists() else ""
        assert result.returncode == 0, result.stderr + details

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(SUPERSET), "serve", str(port)],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    browser = None
    try:
        health = f"{base}/health"
        wait_until(lambda: urllib.request.urlopen(health).read() == b"OK", 180, "Superset")
        browser = Browser(tmp_path / "chromium-profile")
        browser.get(f"{base}/login/")
        wait_until(lambda: browser.js("return !!document.querySelector('#username')"), 60, "login")
        browser.type("#username", "admin")
        browser.type("#password", PASSWORD + "\n")
        wait_until(lambda: "/login" not in browser.js("return location.href"), 60, "logging in")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        before = {}
        for slug, spec in specs.items():
            charts = open_dashboard(browser, base, slug, spec)
            errors = {c["text"].splitlines()[0]: c["error"] for c in charts if c["error"]}
            assert not errors, f"{slug}: charts show errors: {errors}"
            before[slug] = checked_figure(charts, spec)
            assert before[slug] == expected_figure(bi, slug), slug
            browser.screenshot(SCREENSHOTS / f"superset_{slug}.png")

        # A publish while Superset runs and a dashboard is open: not blocked, seen on refresh.
        seconds = publish_changed_marts(bi, tmp_path)
        assert seconds < 30, f"publish took {seconds:.1f} s while Superset was running"
        for slug, spec in specs.items():
            charts = open_dashboard(browser, base, slug, spec)
            errors = {c["text"].splitlines()[0]: c["error"] for c in charts if c["error"]}
            assert not errors, f"{slug} after the publish: charts show errors: {errors}"
            after = checked_figure(charts, spec)
            assert after == expected_figure(bi, slug), slug
            assert after != before[slug], f"{slug}: the publish did not change {after}"

        browser.collect_network()
    finally:
        if browser:
            browser.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        server_log.close()

    requests = {
        m["params"]["requestId"]: m["params"]["request"]["url"]
        for m in browser.network
        if m["method"] == "Network.requestWillBeSent"
    }
    chart_data = [
        (requests.get(m["params"]["requestId"]), m["params"]["response"]["status"])
        for m in browser.network
        if m["method"] == "Network.responseReceived"
        and "/api/v1/chart/data" in m["params"]["response"]["url"]
    ]
    assert chart_data and all(status == 200 for _, status in chart_data), chart_data
    blocked = {
        m["params"]["requestId"]: m["params"].get("blockedReason")
        for m in browser.network
        if m["method"] == "Network.loadingFailed"
    }
    outside = {
        url: blocked.get(request_id)
        for request_id, url in requests.items()
        if url.startswith("http") and not url.startswith(base)
    }
    # Whatever the UI asks from the internet (Superset's telemetry pixel), its CSP blocks.
    assert all(reason == "csp" for reason in outside.values()), outside
