"""The S3 blob store against a real S3-protocol server (moto): content addressing, checks,
clean-up of refused uploads, ranges and the local read cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.objectstore import list_keys, pattern, pattern_sha

from gateway.errors import EnvelopeError, LimitError, NotFoundError, RequestError
from gateway.store.s3blobs import S3BlobStore
from gateway.store.s3location import S3Location

pytestmark = [pytest.mark.integration]


@pytest.fixture
async def store(s3_bucket: str, tmp_path: Path) -> AsyncIterator[S3BlobStore]:
    """An S3 blob store on a fresh bucket, prefix ``blobs``, 5 MiB parts."""
    found = S3BlobStore(
        S3Location.from_url(f"s3://{s3_bucket}/blobs"), tmp_path / "cache", part_size=5 << 20
    )
    try:
        yield found
    finally:
        await found.close()


async def test_put_is_content_addressed_and_multipart(store: S3BlobStore, s3_endpoint: str) -> None:
    """A 12 MiB stream goes up in parts and lands at ``prefix/ab/cd/<sha>``, no temp left."""
    total = 12 << 20
    ref = await store.put_stream(pattern(total))
    sha = await pattern_sha(total)
    assert (ref.sha256, ref.size) == (sha, total)
    assert list_keys(s3_endpoint, store.location.bucket) == [f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert await store.exists(sha) and await store.size(sha) == total
    again = await store.put_stream(pattern(total))
    assert again.sha256 == sha and again.inode is None  # stored already: not this put's copy
    assert len(list_keys(s3_endpoint, store.location.bucket)) == 1


async def test_mismatch_and_limit_leave_nothing(store: S3BlobStore, s3_endpoint: str) -> None:
    """A wrong digest is ``envelope.attachment_mismatch``, too many bytes
    ``limit.body_too_large``; the bucket stays empty either way."""
    with pytest.raises(EnvelopeError) as bad:
        await store.put_bytes(b"hello", expected_sha256="0" * 64)
    assert bad.value.code == "envelope.attachment_mismatch"
    with pytest.raises(LimitError) as big:
        await store.put_stream(pattern(7 << 20), max_bytes=6 << 20)
    assert big.value.code == "limit.body_too_large"
    assert list_keys(s3_endpoint, store.location.bucket) == []


async def test_ranges_and_local_path(store: S3BlobStore) -> None:
    """Ranges read the right bytes, outside is ``request.bad_range``; the local copy is the
    blob's bytes; an unknown digest is ``not_found``."""
    data = b"0123456789" * 1000
    ref = await store.put_bytes(data)
    part = await store.open_range(ref.sha256, 10, 19)
    assert part.length == 10 and await part.read() == data[10:20]
    assert await (await store.open_range(ref.sha256, 9990)).read() == data[9990:]
    with pytest.raises(RequestError) as outside:
        await store.open_range(ref.sha256, 20000)
    assert outside.value.code == "request.bad_range"
    path = await store.local_path(ref.sha256)
    assert path.read_bytes() == data
    with pytest.raises(NotFoundError):
        await store.size("f" * 64)
    assert (await store.sizes([ref.sha256, "f" * 64])) == {ref.sha256: len(data), "f" * 64: None}


async def test_refused_upload_removes_only_its_own_copy(store: S3BlobStore) -> None:
    """After a refusal the copy this upload installed goes; bytes stored before it stay."""
    mine = await store.put_bytes(b"refused upload")
    store.hold(mine)
    assert await store.discard_uploaded(store.release([mine])) == 1
    assert not await store.exists(mine.sha256)
    kept = await store.put_bytes(b"stored earlier")
    late = await store.put_bytes(b"stored earlier")  # the same bytes, already there
    store.hold(late)
    assert await store.discard_uploaded(store.release([late])) == 0
    assert await store.exists(kept.sha256)
