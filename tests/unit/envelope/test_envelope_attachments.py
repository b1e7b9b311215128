"""Attachments by digest: hashing files and checking a manifest against a blob lookup."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support.blobs import MemoryBlobs
from support.envelopes import sample_envelope

from gateway.envelope.attachments import check_attachments, hash_file


def test_hash_file_streams_digest_and_size(tmp_path: Path) -> None:
    """hash_file returns the SHA-256 hex and byte count of a multi-chunk file."""
    data = b"0123456789abcdef" * 200_000  # 3.2 MB, several chunks
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hash_file(path) == (hashlib.sha256(data).hexdigest(), len(data))


def test_present_attachments_pass() -> None:
    """Every manifest entry stored with the right bytes: no error, store unchanged."""
    blobs = MemoryBlobs([b"hello"])
    before = dict(blobs.data)
    check_attachments(sample_envelope(), blobs, rehash=True)
    assert blobs.data == before


@pytest.mark.parametrize("rehash", [False, True])
def test_empty_manifest_needs_no_blobs(rehash: bool) -> None:
    """An envelope without attachments passes against an empty store."""
    check_attachments(sample_envelope(attachments=()), MemoryBlobs([]), rehash=rehash)
