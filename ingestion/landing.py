"""Which landing files belong to an object: ``<landing>/<source>/<Object>/*.csv``, named once
for the loader, the landing sensor and the demo generator's nightly drop."""

from pathlib import Path

from ingestion.contract import OBJECTS, SourceObject

# Names of files still being written or left by an editor, never read: hidden files (rsync and
# many tools write `.name.csv.XXXX` and rename), Office lock files (`~$name.csv`); temporary
# suffixes (`*.tmp`, `*.part`, `*.csv.part`) do not end in `.csv`.
IGNORED_PREFIXES = (".", "~$")


def object_files(landing: Path, obj: SourceObject) -> list[Path]:
    """The object's landing CSV files, sorted; none when its folder is missing. Temporary names
    (``IGNORED_PREFIXES``) are not landing files."""
    folder = landing / obj.folder
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.csv")
        if path.is_file() and not path.name.startswith(IGNORED_PREFIXES)
    )


def landing_files(landing: Path) -> list[Path]:
    """Every landing CSV file the ingestion assets read, sorted."""
    return sorted(path for obj in OBJECTS for path in object_files(landing, obj))
