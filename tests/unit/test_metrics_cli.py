"""`python -m orchestration.cli.metrics`: MetricFlow's `mf`, without its call to PyPI."""

import socket
import subprocess
import sys

import pytest
import update_checker

from orchestration.cli import metrics
from tests.helpers.pipeline import REPO_ROOT


@pytest.fixture
def no_network(monkeypatch):
    """Records every outgoing connection attempt and refuses it."""
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(update_checker.UpdateChecker, "check", update_checker.UpdateChecker.check)
    return attempts


def test_mf_itself_would_ask_pypi(no_network):
    """The reason for the wrapper: the unpatched checker tries to connect."""
    update_checker.UpdateChecker(bypass_cache=True).check("dbt-metricflow", "0.15.0")
    assert no_network, "update-checker no longer connects: the wrapper may be unnecessary"


def test_the_wrapper_makes_the_update_check_ask_nobody(no_network):
    metrics.disable_update_check()
    result = update_checker.UpdateChecker(bypass_cache=True).check("dbt-metricflow", "0.15.0")
    assert result is None
    assert no_network == []


def test_the_wrapper_runs_mf_with_its_arguments():
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.metrics", "--help"],
        cwd=REPO_ROOT / "dbt_project",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "validate-configs" in result.stdout and "query" in result.stdout
