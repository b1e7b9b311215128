"""``lienthong edxml import/export`` through click, with a home in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from edxml_samples import FIXTURES

from gateway.cli import cli
from gateway.edxml import equivalent
from gateway.errors import EdxmlError

RESOURCES = FIXTURES / "truclienthong-example" / "resources"


def _run(home: Path, *args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args), env={"LIENTHONG_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize("name", ["edoc_update.edxml", "status_rejection_02.edxml"])
def test_import_export_round_trip(tmp_path: Path, name: str) -> None:
    """import prints envelope/receipt XML, export turns it back into equivalent edXML."""
    sample = RESOURCES / name
    mapped = _run(tmp_path, "edxml", "import", str(sample))
    root_tag = b"<Receipt" if "status" in name else b"<Envelope"
    assert root_tag in mapped
    (tmp_path / "mapped.xml").write_bytes(mapped)
    back = _run(tmp_path, "edxml", "export", str(tmp_path / "mapped.xml"))
    assert equivalent(sample.read_bytes(), back)


def test_import_stores_blobs(tmp_path: Path) -> None:
    """import stores each decoded attachment under HOME/blobs by its SHA-256."""
    mapped = _run(tmp_path, "edxml", "import", str(RESOURCES / "edoc_new.edxml"))
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].name.encode() in mapped
    assert stored[0].read_bytes().startswith(b"PK\x03\x04")


def test_export_needs_blobs(tmp_path: Path) -> None:
    """export fails with envelope.attachment_missing when the blob store lacks a file."""
    mapped = _run(tmp_path / "a", "edxml", "import", str(RESOURCES / "edoc_new.edxml"))
    (tmp_path / "mapped.xml").write_bytes(mapped)
    result = CliRunner().invoke(
        cli,
        ["edxml", "export", str(tmp_path / "mapped.xml")],
        env={"LIENTHONG_HOME": str(tmp_path / "b")},
    )
    assert result.exit_code != 0 and result.exception.code == "envelope.attachment_missing"


def test_import_malformed(tmp_path: Path) -> None:
    """import of the malformed sample fails with edxml.malformed and stores nothing."""
    result = CliRunner().invoke(
        cli,
        ["edxml", "import", str(RESOURCES / "edoc.edxml")],
        env={"LIENTHONG_HOME": str(tmp_path)},
    )
    assert isinstance(result.exception, EdxmlError) and result.exception.code == "edxml.malformed"
    assert not (tmp_path / "blobs").exists()
