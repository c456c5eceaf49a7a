"""Superset's secrets (issue 24): outside the demo flag, bi/superset.sh and the configuration
refuse to start without SUPERSET_SECRET_KEY and SUPERSET_ADMIN_PASSWORD."""

import os
import runpy
import subprocess

import pytest

from spm_common.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "bi" / "superset.sh"
CONFIG = PROJECT_ROOT / "bi" / "superset_config.py"


def run_script(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSET_")}
    env |= {"SUPERSET_HOME": str(tmp_path / "superset"), "SUPERSET_VENV": str(tmp_path)}
    return subprocess.run(
        ["bash", str(SCRIPT), "init"], env=env | extra, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD"),
        ({"SUPERSET_ADMIN_PASSWORD": "pw"}, "SUPERSET_SECRET_KEY"),
        ({"SUPERSET_SECRET_KEY": "k" * 40}, "SUPERSET_ADMIN_PASSWORD"),
    ],
)
def test_the_script_refuses_to_start_without_both_secrets(tmp_path, extra, named):
    result = run_script(tmp_path, **extra)
    assert result.returncode == 2
    assert f"set {named} (" in result.stderr
    assert "SUPERSET_DEMO=1" in result.stderr
    assert not (tmp_path / "superset").exists()  # nothing was written


def test_with_both_secrets_or_the_demo_flag_it_goes_on(tmp_path):
    # It gets as far as Superset itself, which this machine's test venv does not have.
    for extra in (
        {"SUPERSET_SECRET_KEY": "k" * 40, "SUPERSET_ADMIN_PASSWORD": "pw"},
        {"SUPERSET_DEMO": "1"},
    ):
        result = run_script(tmp_path, **extra)
        assert "set SUPERSET_" not in result.stderr


def config(tmp_path, monkeypatch, **env):
    for name in ("SUPERSET_SECRET_KEY", "SUPERSET_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPERSET_HOME", str(tmp_path / "superset"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_the_configuration_needs_a_long_key_outside_the_demo(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="SUPERSET_SECRET_KEY is not set"):
        config(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError, match="too short"):
        config(tmp_path, monkeypatch, SUPERSET_SECRET_KEY="short")
    assert config(tmp_path, monkeypatch, SUPERSET_SECRET_KEY="k" * 40)["SECRET_KEY"] == "k" * 40
    demo = config(tmp_path, monkeypatch, SUPERSET_DEMO="1")["SECRET_KEY"]
    assert len(demo) >= 32
    assert (tmp_path / "superset" / "secret_key").stat().st_mode & 0o077 == 0
