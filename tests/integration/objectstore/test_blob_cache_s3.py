"""The local cache of object-store blobs stays under its size bound (moto's S3 server):
the least recently used file is deleted, and a deleted blob is fetched again, checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gateway.store.s3blobs import S3BlobStore
from gateway.store.s3location import S3Location

pytestmark = [pytest.mark.integration]

SIZE = 100_000


async def test_cache_keeps_to_its_bound_least_recently_used_first(
    s3_bucket: str, tmp_path: Path
) -> None:
    """Three 100 kB blobs read through a 250 kB cache, the first read again before the
    third: the second (least recently used) is deleted; asked for again it comes back from
    the store with the right bytes, and the cache still fits."""
    store = S3BlobStore(
        S3Location.from_url(f"s3://{s3_bucket}/c"), tmp_path / "cache", cache_max_bytes=250_000
    )
    store.cache.grace_seconds = 0  # no reader holds a path in this test
    try:
        blobs = [bytes([n]) * SIZE for n in range(3)]
        shas = [(await store.put_bytes(data)).sha256 for data in blobs]
        first, second = await store.local_path(shas[0]), await store.local_path(shas[1])
        assert await store.local_path(shas[0]) == first
        third = await store.local_path(shas[2])
        assert first.exists() and third.exists() and not second.exists()
        assert store.cache.total <= 250_000 and store.cache.evicted == 1
        again = await store.local_path(shas[1])
        assert hashlib.sha256(again.read_bytes()).hexdigest() == shas[1]
        assert store.cache.total <= 250_000
        cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
        assert len(cached) == 2
    finally:
        await store.close()
