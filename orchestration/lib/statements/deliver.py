"""One file per rep (issue 24): each employee's statement pages of a rendered statements folder
in ``<out>/<employee_id>.zip``, owner-only, to mail or upload to that person alone without
sharing the folder (which holds everyone's pay). Read from the folder's ``manifest.json``."""

from __future__ import annotations

import json
import os
import zipfile
from collections import defaultdict
from pathlib import Path

from orchestration.lib.statements.render import MANIFEST

# A fixed time for every member: the same pages give the same archive bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def per_rep_archives(statements: Path, out_dir: Path) -> dict[str, Path]:
    """``<out_dir>/<employee_id>.zip`` per employee with that employee's pages (as
    ``<quarter_start>/<employee_id>.html``) and a ``manifest.json`` of just those statements."""
    manifest = json.loads((statements / MANIFEST).read_text())
    files: dict[str, list[dict]] = defaultdict(list)
    for entry in manifest["files"]:
        files[entry["employee_id"]].append(entry)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    written = {}
    for employee, entries in sorted(files.items()):
        archive = out_dir / f"{employee}.zip"
        partial = archive.with_suffix(".zip.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as z:
            for entry in sorted(entries, key=lambda e: e["quarter_start"]):
                info = zipfile.ZipInfo(entry["path"], ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, (statements / entry["path"]).read_bytes())
            own = {"source": manifest["source"], "employee_id": employee, "files": entries}
            info = zipfile.ZipInfo(MANIFEST, ZIP_TIME)
            z.writestr(info, json.dumps(own, indent=2) + "\n")
        os.chmod(partial, 0o600)
        partial.replace(archive)
        written[employee] = archive
    return written
