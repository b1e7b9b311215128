"""Attachments by digest: every manifest entry must be in the blob store, bytes matching.

The envelope signs each file's SHA-256 and size; the bytes travel separately. Before a
message is accepted, :func:`check_attachments` asks the blob store (anything with the
:class:`BlobLookup` methods) whether each file is there with that size, and has it re-hash
the bytes when ``rehash`` is set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Protocol

from gateway.envelope.model import Attachment, Envelope
from gateway.errors import EnvelopeError

__all__ = ["CHUNK_SIZE", "BlobLookup", "check_attachments", "check_unique_names", "hash_file"]

CHUNK_SIZE: Final = 1024 * 1024


class BlobLookup(Protocol):
    """What :func:`check_attachments` needs from a blob store (synchronous)."""

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this digest is stored."""
        ...

    def size(self, sha256: str) -> int | None:
        """The stored blob's size in bytes, or ``None`` when it is not stored."""
        ...

    def digest(self, sha256: str) -> str | None:
        """SHA-256 hex of the stored bytes, recomputed from them (``None`` if absent)."""
        ...


def check_unique_names(attachments: Iterable[Attachment], message_id: str | None = None) -> None:
    """Raise ``attachment.duplicate_name`` when two attachments share a name: a file is
    downloaded by its name, so each name must stand for one file."""
    seen: set[str] = set()
    for attachment in attachments:
        if attachment.name in seen:
            raise EnvelopeError(
                f"two attachments are named {attachment.name!r}",
                code="attachment.duplicate_name",
                message_id=message_id,
            )
        seen.add(attachment.name)


def check_attachments(env: Envelope, blob_lookup: BlobLookup, *, rehash: bool = False) -> None:
    """Raise ``attachment.duplicate_name`` if two manifest entries share a name, and
    ``envelope.attachment_missing`` / ``envelope.attachment_mismatch`` if any is absent,
    has another size, or (with ``rehash``) other bytes."""
    check_unique_names(env.attachments, str(env.message_id))
    for attachment in env.attachments:
        name, sha = attachment.name, attachment.sha256
        if not blob_lookup.exists(sha):
            raise EnvelopeError(
                f"attachment {name!r} ({sha}) is not in the blob store",
                code="envelope.attachment_missing",
                message_id=str(env.message_id),
            )
        size = blob_lookup.size(sha)
        if size != attachment.size:
            raise EnvelopeError(
                f"attachment {name!r} is {size} bytes, the manifest says {attachment.size}",
                code="envelope.attachment_mismatch",
                message_id=str(env.message_id),
            )
        if rehash and blob_lookup.digest(sha) != sha:
            raise EnvelopeError(
                f"attachment {name!r}: the stored bytes do not hash to {sha}",
                code="envelope.attachment_mismatch",
                message_id=str(env.message_id),
            )


def hash_file(path: Path | str) -> tuple[str, int]:
    """``(sha256 hex, size)`` of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
