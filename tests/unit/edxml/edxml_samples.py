"""The edXML samples (tests/fixtures/edxml, see PROVENANCE.md) and an in-memory blob store."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gateway.envelope.model import Attachment

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edxml"
MALFORMED = FIXTURES / "truclienthong-example" / "resources" / "edoc.edxml"
ALL = sorted(FIXTURES.rglob("*.edxml"))
GOOD = [p for p in ALL if p != MALFORMED]
DOCUMENTS = [p for p in GOOD if "status" not in p.name]
STATUSES = [p for p in GOOD if "status" in p.name]


def sample_id(path: Path) -> str:
    """A short test id: folder/name."""
    return f"{path.parent.name}/{path.name}"


class MemoryBlobs:
    """A dict blob store by SHA-256: the ``store_blob`` / ``load_blob`` pair for mapping."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def store(self, name: str, media_type: str, data: bytes) -> Attachment:
        sha = hashlib.sha256(data).hexdigest()
        self.data[sha] = data
        return Attachment(name=name, media_type=media_type, size=len(data), sha256=sha)

    def load(self, att: Attachment) -> bytes:
        return self.data[att.sha256]
