"""Whether the dbt manifest is stale: a fingerprint of every file ``dbt parse`` reads.

dagster-dbt builds the dbt assets from ``target/manifest.json``; outside ``dagster dev`` it never
re-parses, so a model added since the last parse would be missing from the graph. The
fingerprint is a hash of the relative path, size and modification time of every file that
affects parsing (``dbt_project.yml``, ``profiles.yml``, package files, and everything under the
project's model, macro, test, seed, snapshot and analysis paths) plus dbt's version. It is
written beside the manifest after each parse; the manifest is stale when it or the fingerprint
is missing, or when the fingerprint differs, which catches a file edited, added or removed.
Computing it stats a few hundred files: milliseconds, no parsing.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import yaml

from spm_common.fingerprints import listing_digest, stat_entries

FINGERPRINT_FILE = "spm_parse_fingerprint.txt"
# Files at the project's top level that dbt parse reads.
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
# dbt_project.yml keys of the folders dbt parses, and dbt's defaults for them.
PATH_KEYS = {
    "model-paths": ["models"],
    "macro-paths": ["macros"],
    "test-paths": ["tests"],
    "seed-paths": ["seeds"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
}


def parsed_folders(project_dir: Path) -> list[Path]:
    """The folders ``dbt parse`` reads, as ``dbt_project.yml`` names them (or dbt's defaults)."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    names = {name for key, default in PATH_KEYS.items() for name in config.get(key, default)}
    return [project_dir / name for name in sorted(names)]


def parse_inputs(project_dir: Path) -> list[Path]:
    """Every file whose content can change the manifest, sorted; editor dotfiles left out."""
    files = [project_dir / name for name in PROJECT_FILES if (project_dir / name).is_file()]
    for folder in parsed_folders(project_dir):
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files += [Path(root, name) for name in names if not name.startswith(".")]
    return sorted(files)


def fingerprint(project_dir: Path, **extra: object) -> str:
    """A hash of the parse inputs' paths, sizes and modification times, dbt's version and any
    ``extra`` JSON values."""
    entries = stat_entries(parse_inputs(project_dir), project_dir)
    return listing_digest(entries, dbt=metadata.version("dbt-core"), **extra)


def fingerprint_path(manifest_path: Path) -> Path:
    return manifest_path.with_name(FINGERPRINT_FILE)


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when the manifest is missing or was parsed from other files than there are now."""
    recorded = fingerprint_path(manifest_path)
    if not manifest_path.is_file() or not recorded.is_file():
        return True
    return recorded.read_text().strip() != fingerprint(project_dir)


def record_fingerprint(manifest_path: Path, value: str) -> None:
    """Write the fingerprint of a parse beside its manifest (taken before the parse started,
    so an edit made during the parse makes the next load parse again)."""
    write_record(fingerprint_path(manifest_path), value)


def write_record(path: Path, value: str) -> None:
    """``value`` as the one line of ``path``, replaced whole (never half-written)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(value + "\n")
    os.replace(temporary, path)
