"""Crash-safe file helpers of the folder adapter."""

from __future__ import annotations

from pathlib import Path

from adapters.fsutil import atomic_write, move_unique, safe_name


def test_safe_name_never_yields_a_path() -> None:
    """Outside names lose directories, NULs and device names."""
    assert safe_name("../../etc/passwd", 0) == "passwd"
    assert safe_name("C:\\x\\báo cáo.pdf", 0) == "báo cáo.pdf"
    assert safe_name("..", 2) == "attachment-3"
    assert safe_name("CON.txt", 0) == "attachment-1"
    assert "/" not in safe_name("a/\x00b", 0)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    """The file appears complete; no hidden temp file stays behind."""
    atomic_write(tmp_path / "a.xml", b"<a/>")
    atomic_write(tmp_path / "a.xml", b"<b/>")
    assert [p.name for p in tmp_path.iterdir()] == ["a.xml"]
    assert (tmp_path / "a.xml").read_bytes() == b"<b/>"


def test_move_unique_never_overwrites(tmp_path: Path) -> None:
    """A second file with a taken name gets a stamped name."""
    (tmp_path / "in").mkdir()
    (tmp_path / "done").mkdir()
    for body in (b"1", b"2"):
        (tmp_path / "in" / "x.edxml").write_bytes(body)
        move_unique(tmp_path / "in" / "x.edxml", tmp_path / "done")
    names = sorted(p.name for p in (tmp_path / "done").iterdir())
    assert len(names) == 2 and names[-1] == "x.edxml" and names[0].endswith(".edxml")
