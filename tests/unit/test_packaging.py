"""The wheel users and the image install: every file of the two packages, built the same way."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "adapters")


def _tree_files(root: Path) -> set[str]:
    """Every file under the packages in ``root``, as a wheel names it, without bytecode
    caches and editor leftovers (MANIFEST.in's exclusions)."""
    files: set[str] = set()
    for package in PACKAGES:
        for path in (root / package).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix not in (".pyc", ".pyo", ".pyd") and not path.name.endswith("~"):
                files.add(path.relative_to(root).as_posix())
    return {f for f in files if not f.endswith(".DS_Store")}


def _dockerfile_copies() -> list[str]:
    """The sources the Dockerfile's build stage copies, in order."""
    text = (ROOT / "Dockerfile").read_text()
    sources: list[str] = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, flags=re.MULTILINE):
        sources += line.split()[:-1]
    return sources


@pytest.mark.slow
def test_wheel_holds_every_file_of_the_tree(tmp_path: Path) -> None:
    """A wheel built from the Dockerfile's copies holds exactly the packages' files."""
    src = tmp_path / "src"
    src.mkdir()
    for name in _dockerfile_copies():
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name)
        else:
            shutil.copy2(source, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", "dist", str(src)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("lienthong-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if n.split("/", 1)[0] in PACKAGES}
    tree = _tree_files(src)  # the snapshot the wheel was built from (others edit the checkout)
    assert sorted(tree - names) == [], "files of the tree missing from the wheel"
    assert sorted(names - tree) == [], "files in the wheel that the tree does not have"
    assert "gateway/console/static/console.css" in names


def test_dockerfile_copies_what_ci_installs() -> None:
    """The image copies the same sources as `.ci/install-smoke`, and no others."""
    smoke = (ROOT / ".ci" / "install-smoke").read_text()
    (cp_line,) = re.findall(r"^cp -r (.+) \"\$WORK/src/\"$", smoke, flags=re.MULTILINE)
    assert cp_line.split() == _dockerfile_copies()


def test_dockerfile_builds_and_installs_as_ci_does() -> None:
    """The image's build and install commands are those `.ci/install-smoke` runs."""
    docker = (ROOT / "Dockerfile").read_text()
    smoke = (ROOT / ".ci" / "install-smoke").read_text()
    for command in (
        '-m venv "$VENV"',
        '"$VENV/bin/python" -m pip wheel -q --no-deps --wheel-dir "$DIST" .',
        '"$VENV/bin/python" -m pip install -q "$DIST"/lienthong-*.whl',
    ):
        assert command in docker and command in smoke, command
    assert "bash .ci/install-smoke" in (ROOT / ".ci" / "run").read_text()
