"""Which landing files belong to an object: ``<landing>/<source>/<Object>/*.csv``, named once
for the loader, the landing sensor and the demo generator's nightly drop."""

from pathlib import Path

from ingestion.contract import OBJECTS, SourceObject


def object_files(landing: Path, obj: SourceObject) -> list[Path]:
    """The object's landing CSV files, sorted; none when its folder is missing."""
    folder = landing / obj.folder
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.csv") if path.is_file())


def landing_files(landing: Path) -> list[Path]:
    """Every landing CSV file the ingestion assets read, sorted."""
    return sorted(path for obj in OBJECTS for path in object_files(landing, obj))
