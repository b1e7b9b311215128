"""Hostile attachments: the blob store must hold exactly the bytes the manifest signs."""

from __future__ import annotations

import hashlib

import pytest
from support.blobs import MemoryBlobs
from support.envelopes import sample_envelope

from gateway.envelope.attachments import check_attachments
from gateway.errors import EnvelopeError

SHA = hashlib.sha256(b"hello").hexdigest()


def _refused(blobs: MemoryBlobs, code: str, *, rehash: bool) -> None:
    before = dict(blobs.data)
    with pytest.raises(EnvelopeError) as info:
        check_attachments(sample_envelope(), blobs, rehash=rehash)
    assert info.value.code == code
    assert info.value.message_id == str(sample_envelope().message_id)
    assert blobs.data == before


def test_attachment_missing() -> None:
    """A manifest entry with no blob: envelope.attachment_missing."""
    _refused(MemoryBlobs([b"other"]), "envelope.attachment_missing", rehash=False)


def test_attachment_bytes_do_not_match_digest() -> None:
    """Stored bytes of the right size that hash differently: envelope.attachment_mismatch."""
    blobs = MemoryBlobs([b"hello"])
    blobs.data[SHA] = b"jello"
    _refused(blobs, "envelope.attachment_mismatch", rehash=True)


def test_attachment_size_differs() -> None:
    """A blob under the digest but of another size: envelope.attachment_mismatch."""
    blobs = MemoryBlobs([b"hello"])
    blobs.data[SHA] = b"hello, world"
    _refused(blobs, "envelope.attachment_mismatch", rehash=False)
