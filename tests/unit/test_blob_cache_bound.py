"""The size bound of the object-store blob cache (:mod:`gateway.store.blobcache`) on a
real directory: least recently used files go first, files in use and the files of a
restart are counted."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gateway.store.blobcache import CacheBound


def put(root: Path, data: bytes, mtime: float | None = None) -> tuple[str, Path]:
    """A cached blob file of ``data`` (content-addressed like the cache); its sha and path."""
    sha = hashlib.sha256(data).hexdigest()
    path = root / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return sha, path


async def test_least_recently_used_goes_first(tmp_path: Path) -> None:
    """Three 1000-byte files under a 2500-byte bound: after the third, the one used least
    recently (not the oldest fetched: it was read again) is deleted."""
    now = [0.0]
    bound = CacheBound(tmp_path, 2500, grace_seconds=5, clock=lambda: now[0])
    a, a_path = put(tmp_path, b"a" * 1000)
    await bound.added(a, a_path)
    now[0] = 10
    b, b_path = put(tmp_path, b"b" * 1000)
    await bound.added(b, b_path)
    now[0] = 20
    assert await bound.used(a, a_path)  # a read again: b is now the least recent
    now[0] = 30
    c, c_path = put(tmp_path, b"c" * 1000)
    await bound.added(c, c_path)
    assert a_path.exists() and c_path.exists() and not b_path.exists()
    assert bound.total == 2000 and bound.evicted == 1
    assert not await bound.used(b, b_path)  # asked for again: it must be fetched


async def test_files_in_use_are_kept_over_the_bound(tmp_path: Path) -> None:
    """Files used within the grace period are not deleted, even over the bound; once the
    period has passed they are."""
    now = [0.0]
    bound = CacheBound(tmp_path, 1500, grace_seconds=30, clock=lambda: now[0])
    paths = []
    for data in (b"x" * 1000, b"y" * 1000):
        sha, path = put(tmp_path, data)
        await bound.added(sha, path)
        paths.append(path)
    assert all(p.exists() for p in paths) and bound.total == 2000
    now[0] = 31
    assert await bound.evict() == 1
    assert not paths[0].exists() and paths[1].exists() and bound.total == 1000


async def test_files_of_an_earlier_run_count_oldest_first(tmp_path: Path) -> None:
    """Files left by an earlier run are counted at first use, in the order of their
    modification times; a fetch in progress (``.fetch-…``) is not a blob."""
    _, old_path = put(tmp_path, b"o" * 1000, mtime=1_000_000)
    _, new_path = put(tmp_path, b"n" * 1000, mtime=2_000_000)
    (old_path.parent / ".fetch-0123").write_bytes(b"partial" * 500)
    bound = CacheBound(tmp_path, 2500, grace_seconds=0)
    fresh, fresh_path = put(tmp_path, b"f" * 1000)
    await bound.added(fresh, fresh_path)
    assert not old_path.exists() and new_path.exists() and fresh_path.exists()
    assert bound.total == 2000


async def test_no_bound_deletes_nothing(tmp_path: Path) -> None:
    """A bound of 0 keeps every file."""
    bound = CacheBound(tmp_path, 0, grace_seconds=0)
    for n in range(5):
        sha, path = put(tmp_path, bytes([n]) * 1000)
        await bound.added(sha, path)
    assert bound.total == 5000 and bound.evicted == 0
