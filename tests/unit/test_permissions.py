"""Files only for their owners (spm_common/permissions.py, SPM_FILE_GROUP)."""

import grp
import os
import stat

import pytest

from spm_common.config_values import ConfigurationError, parse_group
from spm_common.permissions import is_private, private_files, protect


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_run_creates_owner_only_files_and_folders(tmp_path):
    with private_files():
        (tmp_path / "made").mkdir()
        (tmp_path / "made" / "bi.duckdb").write_text("pay")
    assert mode(tmp_path / "made") == 0o700
    assert mode(tmp_path / "made" / "bi.duckdb") == 0o600


def test_with_a_group_the_group_may_read(tmp_path):
    with private_files(os.getgid()):
        (tmp_path / "f").write_text("pay")
    assert mode(tmp_path / "f") == 0o640


def test_the_umask_is_restored(tmp_path):
    before = os.umask(0o022)
    try:
        with private_files():
            pass
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


def test_protect_narrows_files_made_before_and_a_folders_content(tmp_path):
    folder = tmp_path / "statements"
    (folder / "2026-07-01").mkdir(parents=True)
    page = folder / "2026-07-01" / "100151.html"
    page.write_text("pay")
    ledger = tmp_path / "ledger.duckdb"
    ledger.write_text("locks")
    for path in (folder, folder / "2026-07-01", page, ledger):
        path.chmod(0o777 if path.is_dir() else 0o644)
    protect(folder, None)
    protect(ledger, None)
    protect(tmp_path / "missing", None)  # nothing to do
    assert [mode(p) for p in (folder, folder / "2026-07-01", page, ledger)] == [
        0o700,
        0o700,
        0o600,
        0o600,
    ]
    assert all(is_private(p) for p in (folder, page, ledger))


def test_protect_with_a_group(tmp_path):
    group = os.getgid()
    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / "p.html").write_text("pay")
    protect(folder, group)
    assert mode(folder) == 0o2750
    assert mode(folder / "p.html") == 0o640
    assert (folder / "p.html").stat().st_gid == group
    assert is_private(folder / "p.html", group)
    assert not is_private(folder / "p.html")


def test_the_group_is_a_local_group():
    name = grp.getgrgid(os.getgid()).gr_name
    assert parse_group("SPM_FILE_GROUP", name) == os.getgid()
    assert parse_group("SPM_FILE_GROUP", str(os.getgid())) == os.getgid()
    assert parse_group("SPM_FILE_GROUP", "") is None
    with pytest.raises(ConfigurationError, match="SPM_FILE_GROUP='no-such-group-x'"):
        parse_group("SPM_FILE_GROUP", "no-such-group-x")
