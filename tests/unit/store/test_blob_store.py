"""The content-addressed blob store: streamed, checked, deduplicated, ranged."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.errors import EnvelopeError, LimitError, NotFoundError, RequestError
from gateway.store.blobs import BlobStore, sha256_of_file


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name.startswith(".incoming")]


async def test_put_stream_stores_under_digest_path(tmp_path: Path) -> None:
    """Chunks are stored at root/ab/cd/<sha256> with the right digest and size."""
    store = BlobStore(tmp_path)
    ref = await store.put_stream(chunks(b"hello ", b"world"))
    sha = hashlib.sha256(b"hello world").hexdigest()
    assert (ref.sha256, ref.size) == (sha, 11)
    assert store.path(sha) == tmp_path / sha[:2] / sha[2:4] / sha
    assert store.path(sha).read_bytes() == b"hello world"
    assert await store.exists(sha) and await store.size(sha) == 11
    assert sha256_of_file(store.path(sha)) == sha


async def test_expected_digest_mismatch_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    """Bytes that do not hash to the expected digest raise attachment_mismatch, store nothing."""
    store = BlobStore(tmp_path)
    wrong = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(EnvelopeError) as info:
        await store.put_stream(chunks(b"data"), expected_sha256=wrong)
    assert info.value.code == "envelope.attachment_mismatch"
    assert not await store.exists(hashlib.sha256(b"data").hexdigest())
    assert leftovers(tmp_path) == []


async def test_size_limit_stops_the_stream(tmp_path: Path) -> None:
    """More than max_bytes raises limit.body_too_large and leaves no partial file."""
    store = BlobStore(tmp_path)
    with pytest.raises(LimitError) as info:
        await store.put_stream(chunks(b"x" * 10, b"y" * 10), max_bytes=15)
    assert info.value.code == "limit.body_too_large"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


async def test_same_content_is_stored_once(tmp_path: Path) -> None:
    """Storing the same bytes twice keeps one file and returns the same reference."""
    store = BlobStore(tmp_path)
    first = await store.put_bytes(b"same")
    second = await store.put_stream(chunks(b"sa", b"me"), expected_sha256=first.sha256.upper())
    assert first == second
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


async def test_open_range_reads_inclusive_ranges(tmp_path: Path) -> None:
    """A range start..end is inclusive; end=None reads to the end; end past size is clipped."""
    store = BlobStore(tmp_path)
    ref = await store.put_bytes(bytes(range(256)) * 4096)  # 1 MiB, more than one chunk
    middle = await store.open_range(ref.sha256, 10, 19)
    assert (await middle.read(), middle.length) == (bytes(range(10, 20)), 10)
    tail = await store.open_range(ref.sha256, ref.size - 3)
    assert await tail.read() == bytes([253, 254, 255])
    everything = await store.open_range(ref.sha256, 0, ref.size + 100)
    assert everything.length == ref.size and len(await everything.read()) == ref.size


async def test_unsatisfiable_range_and_missing_blob(tmp_path: Path) -> None:
    """A start past the end is request.bad_range; an unknown digest is not_found."""
    store = BlobStore(tmp_path)
    ref = await store.put_bytes(b"abc")
    with pytest.raises(RequestError) as info:
        await store.open_range(ref.sha256, 3)
    assert info.value.code == "request.bad_range"
    with pytest.raises(NotFoundError):
        await store.open_range("0" * 64, 0)
    with pytest.raises(NotFoundError):
        await store.size("0" * 64)


def test_path_refuses_anything_but_a_digest(tmp_path: Path) -> None:
    """A name that is not 64 hex characters can never become a path (no traversal)."""
    store = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ab/../cd", "", "g" * 64):
        with pytest.raises(NotFoundError):
            store.path(bad)
