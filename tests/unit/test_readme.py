"""The README stays a true front door: its repository map matches the tree, the documentation's
relative links resolve, the docs index lists every page, and the README stays short.

The map is the fenced block between the ``repository-map`` markers of README.md: one entry a
line, ``path  description``, folders ending with ``/``, an entry nested under a folder indented
two spaces deeper than it (its full path is the folder's path + the entry). Every path of the
map must exist, and every top-level folder, every Python package folder of the main packages
(``orchestration/lib/<concern>/``, ``orchestration/defs/<concern>/`` ...) and every folder of
``tests/`` (not the contents of ``tests/fixtures/<name>/``) must have a line, so a new folder
without one fails here. No pipeline run: the tree comes from ``git ls-files`` (tracked and
untracked-but-not-ignored files), or from a walk of the folder when git is not available.
"""

import os
import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
DOCS_INDEX = DOCS / "README.md"
BI_README = REPO_ROOT / "bi" / "README.md"
MAX_README_LINES = 220

MAP_BEGIN = "<!-- repository-map:begin -->"
MAP_END = "<!-- repository-map:end -->"
INDENT = 2

# Folders whose every direct sub-folder holding Python files (a package) needs a map line.
PACKAGE_PARENTS = (
    "spm_common",
    "ingestion",
    "orchestration",
    "orchestration/lib",
    "orchestration/defs",
)
# Every folder under tests/ needs a line, except what is inside one landing fixture.
TESTS = "tests"
FIXTURES = "tests/fixtures"
# Never part of the map (generated, local or ignored); used when walking without git.
UNMAPPED = {".git", "data", "__pycache__", "node_modules", "logs"}
UNMAPPED_PATHS = {"dbt_project/target", "dbt_project/logs", "dbt_project/dbt_packages"}

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


# ------------------------------------------------------------------------------ the map


def map_lines(readme: str) -> list[str]:
    """The lines of the fenced block between the map markers."""
    assert MAP_BEGIN in readme and MAP_END in readme, (
        f"README.md has no repository map between {MAP_BEGIN} and {MAP_END}"
    )
    block = readme.split(MAP_BEGIN, 1)[1].split(MAP_END, 1)[0].strip("\n").splitlines()
    assert block and block[0].startswith("```") and block[-1].startswith("```"), (
        "the repository map should be one fenced block between its markers"
    )
    return [line for line in block[1:-1] if line.strip()]


def map_paths(readme: str) -> list[str]:
    """Full paths of the map's entries, relative to the repository root ('/' ends a folder)."""
    paths: list[str] = []
    parents: list[str] = []  # parents[d] = the path of the last entry at depth d
    for line in map_lines(readme):
        spaces = len(line) - len(line.lstrip(" "))
        assert spaces % INDENT == 0, f"repository map: odd indentation in {line!r}"
        depth = spaces // INDENT
        assert depth <= len(parents), (
            f"repository map: {line!r} is indented deeper than under a folder"
        )
        del parents[depth:]
        assert not parents or parents[-1].endswith("/"), (
            f"repository map: {line!r} is nested under a file, {parents[-1]}"
        )
        name = line.split()[0]
        assert not name.startswith("/") and ".." not in name.split("/"), (
            f"repository map: {name!r} should be relative to its folder"
        )
        path = (parents[-1] if parents else "") + name
        paths.append(path)
        parents.append(path)
    return paths


def test_map_parses_into_nested_paths():
    readme = "\n".join(
        [
            MAP_BEGIN,
            "```text",
            "a/            a folder",
            "  b.py        a file in it",
            "  c/          a folder in it",
            "    d/        deeper",
            "e/",
            "```",
            MAP_END,
        ]
    )
    assert map_paths(readme) == ["a/", "a/b.py", "a/c/", "a/c/d/", "e/"]


# ------------------------------------------------------------------------------ the tree


def tree_files() -> set[str]:
    """Files of the repository (relative, '/'-separated), as git sees them, or by a walk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        files = {path for path in listed.split("\0") if path}
        # The index may still name files moved away on disk: keep those that exist.
        return {path for path in files if (REPO_ROOT / path).is_file()}
    except (OSError, subprocess.SubprocessError):
        return walked_files()


def walked_files() -> set[str]:
    files = set()
    for folder, dirs, names in os.walk(REPO_ROOT):
        relative = Path(folder).relative_to(REPO_ROOT).as_posix()
        dirs[:] = [
            d
            for d in dirs
            if d not in UNMAPPED
            and not d.startswith(".")
            and not d.endswith(".egg-info")
            and (f"{relative}/{d}" if relative != "." else d) not in UNMAPPED_PATHS
        ]
        for name in names:
            files.add(f"{relative}/{name}" if relative != "." else name)
    return files


def tree_folders(files: set[str]) -> set[str]:
    """Every folder holding a file, as 'path/'."""
    folders = set()
    for file in files:
        parts = file.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folders.add("/".join(parts[:depth]) + "/")
    return folders


def required_folders(files: set[str]) -> set[str]:
    """The folders that need a line in the map."""
    folders = tree_folders(files)
    required = set()
    for folder in folders:
        parts = folder.rstrip("/").split("/")
        if any(part == "__pycache__" for part in parts):
            continue
        if len(parts) == 1 and not parts[0].startswith("."):
            required.add(folder)
        parent = "/".join(parts[:-1])
        if parent in PACKAGE_PARENTS and any(
            file.startswith(folder) and file.endswith(".py") and "/" not in file[len(folder) :]
            for file in files
        ):
            required.add(folder)
        inside_a_fixture = folder.startswith(FIXTURES + "/") and folder != FIXTURES + "/"
        if folder.startswith(TESTS + "/") and not inside_a_fixture:
            required.add(folder)
    return required


# ------------------------------------------------------------------------------ map vs tree


def test_every_path_of_the_repository_map_exists():
    missing = []
    for path in map_paths(README.read_text()):
        target = REPO_ROOT / path.rstrip("/")
        if path.endswith("/") and not target.is_dir():
            missing.append(f"{path} (no such folder)")
        elif not path.endswith("/") and not target.is_file():
            missing.append(f"{path} (no such file)")
    assert not missing, "README.md's repository map names paths that do not exist:\n  " + (
        "\n  ".join(missing)
    )


def test_every_folder_of_the_tree_is_on_the_repository_map():
    mapped = set(map_paths(README.read_text()))
    unmapped = sorted(required_folders(tree_files()) - mapped)
    assert not unmapped, (
        "folders missing from README.md's repository map (add a line, nested under its "
        "parent folder, between the repository-map markers):\n  " + "\n  ".join(unmapped)
    )


# ------------------------------------------------------------------------------ links


def documentation_pages() -> list[Path]:
    pages = [README, *sorted(DOCS.rglob("*.md"))]
    if BI_README.exists():
        pages.append(BI_README)
    return pages


def relative_links(markdown: str) -> list[str]:
    """Targets of the markdown links and images outside code, without their anchors; links to
    another site and anchors within the page are left out."""
    prose = INLINE_CODE.sub("", FENCE.sub("", markdown))
    targets = []
    for link in LINK.finditer(prose):
        target = link["target"]
        if EXTERNAL.match(target) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0].split("?", 1)[0])
    return targets


def test_relative_links_are_found_outside_code():
    markdown = (
        "[a](docs/a.md#x) ![b](img/b.png) [c](https://x.org) [d](#here) `[e](e.md)`\n"
        "```\n[f](f.md)\n```\n"
    )
    assert relative_links(markdown) == ["docs/a.md", "img/b.png"]


def test_every_relative_link_of_the_documentation_points_to_a_file():
    broken = []
    for page in documentation_pages():
        for target in relative_links(page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert not broken, "relative links to nothing:\n  " + "\n  ".join(broken)


def test_the_docs_index_lists_every_page():
    assert DOCS_INDEX.exists(), "docs/README.md (the index of the documentation) is missing"
    linked = {
        (DOCS_INDEX.parent / target).resolve() for target in relative_links(DOCS_INDEX.read_text())
    }
    pages = [page for page in documentation_pages() if page not in (README, DOCS_INDEX)]
    unlisted = [str(page.relative_to(REPO_ROOT)) for page in pages if page.resolve() not in linked]
    assert not unlisted, "pages missing from docs/README.md:\n  " + "\n  ".join(unlisted)


# ------------------------------------------------------------------------------ length


def test_the_readme_is_a_short_front_door():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, (
        f"README.md has {lines} lines, more than {MAX_README_LINES}: move the detail to docs/ "
        "and link it"
    )
