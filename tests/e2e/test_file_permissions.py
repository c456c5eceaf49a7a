"""Files only for their owners (issue 24): after a real run, the warehouse, the BI file, the
payout ledger and the statements folder (every page in it) are readable by their owner only,
whatever the umask of the shell that started the run."""

import stat

from spm_common.permissions import is_private
from spm_common.settings import default_statements_dir
from tests.helpers.pipeline import PipelineRun


def test_what_holds_pay_is_owner_only(generated_run: PipelineRun):
    root = generated_run.warehouse.parent.parent
    ledger = root / "ledger" / "spm_ledger.duckdb"
    statements = default_statements_dir(generated_run.bi)
    pages = [p for p in statements.rglob("*") if p.is_file()]
    assert pages, f"no statement pages under {statements}"
    paths = [generated_run.warehouse, generated_run.bi, ledger, statements, *pages]
    folders = [generated_run.warehouse.parent, generated_run.bi.parent, ledger.parent]
    wide = {
        str(path): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [*paths, *folders]
        if not is_private(path)
    }
    assert wide == {}
    assert all(not stat.S_IMODE(p.stat().st_mode) & 0o077 for p in paths)
