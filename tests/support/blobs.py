"""An in-memory blob lookup for attachment tests (the BlobLookup protocol)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


class MemoryBlobs:
    """Blobs by SHA-256 hex; ``data`` may be edited by tests to simulate corruption."""

    def __init__(self, blobs: Iterable[bytes]) -> None:
        self.data = {hashlib.sha256(b).hexdigest(): b for b in blobs}

    def exists(self, sha256: str) -> bool:
        """Whether the digest is stored."""
        return sha256 in self.data

    def size(self, sha256: str) -> int | None:
        """The stored size, or None."""
        blob = self.data.get(sha256)
        return None if blob is None else len(blob)

    def digest(self, sha256: str) -> str | None:
        """The SHA-256 of the stored bytes, recomputed."""
        blob = self.data.get(sha256)
        return None if blob is None else hashlib.sha256(blob).hexdigest()
