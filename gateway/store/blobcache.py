"""A size bound on the local cache of object-store blobs: least recently used go first.

:meth:`S3BlobStore.local_path <gateway.store.s3blobs.S3BlobStore.local_path>` fetches a
blob into a content-addressed directory once and serves the file from there; without a
bound that directory grows with every file ever read. :class:`CacheBound` keeps the
bytes under ``[blobs] cache_max_mib``: each hit or fetch marks the file used, and after a
fetch the least recently used files are deleted until the total fits. A file used within
the last ``grace_seconds`` is never deleted (a download may just have been handed its
path), so the cache may lie over the bound for that long when everything in it is in
use. The files found at start are ordered by their modification time, which each hit
refreshes, so the order survives a restart. Deleted files are fetched again when asked
for: the object store holds every blob.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import structlog

__all__ = ["CacheBound"]

log = structlog.get_logger("gateway.store.blobcache")


class CacheBound:
    """Least-recently-used accounting and eviction over one cache directory."""

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        *,
        grace_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        #: 0: no bound (nothing is ever deleted).
        self.max_bytes = max_bytes
        self.grace_seconds = grace_seconds
        self._clock = clock
        #: sha → (bytes, last use on ``clock``), least recently used first.
        self._files: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.total = 0
        self._loaded = False
        self._loading = asyncio.Lock()
        #: Files deleted so far.
        self.evicted = 0

    async def _load(self) -> None:
        """Take in the files already there (oldest first), once."""
        if self._loaded:
            return
        async with self._loading:
            if self._loaded:
                return
            found = await asyncio.to_thread(_scan, self.root)
            stale = self._clock() - self.grace_seconds  # none of them is in use yet
            for sha, size, _mtime in sorted(found, key=lambda f: f[2], reverse=True):
                if sha not in self._files:
                    self._files[sha] = (size, stale)
                    self._files.move_to_end(sha, last=False)  # before the newer ones
                    self.total += size
            self._loaded = True

    async def used(self, sha: str, path: Path) -> bool:
        """Mark the cached file of ``sha`` used now; False when it is not there (any more)."""
        await self._load()
        try:
            size = await asyncio.to_thread(_touch, path)
        except FileNotFoundError:
            self._forget(sha)
            return False
        self._record(sha, size)
        return True

    async def added(self, sha: str, path: Path) -> None:
        """A fetched file is in place: count it, then delete the least recently used files
        until the total fits the bound."""
        await self._load()
        with contextlib.suppress(FileNotFoundError):
            self._record(sha, (await asyncio.to_thread(path.stat)).st_size)
        await self.evict()

    async def evict(self) -> int:
        """Delete least recently used files (outside the grace period) until the total
        fits; how many were deleted."""
        if self.max_bytes <= 0:
            return 0
        now, victims = self._clock(), []
        for sha, (_size, at) in list(self._files.items()):
            if self.total <= self.max_bytes:
                break
            if now - at < self.grace_seconds:
                continue  # in use a moment ago: a reader may hold its path
            victims.append(sha)
            self._forget(sha)
        for sha in victims:
            await asyncio.to_thread(self._path(sha).unlink, missing_ok=True)
        if victims:
            self.evicted += len(victims)
            log.info("store.blob_cache_evicted", files=len(victims), bytes_now=self.total)
        return len(victims)

    def _path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:4] / sha

    def _record(self, sha: str, size: int) -> None:
        self._forget(sha)
        self._files[sha] = (size, self._clock())
        self.total += size

    def _forget(self, sha: str) -> None:
        known = self._files.pop(sha, None)
        if known is not None:
            self.total -= known[0]


def _touch(path: Path) -> int:
    """Refresh the file's modification time (its place after a restart); its size."""
    os.utime(path)
    return path.stat().st_size


def _scan(root: Path) -> list[tuple[str, int, float]]:
    """(sha, bytes, mtime) of every cached blob under ``root`` (``ab/cd/<sha>``)."""
    found: list[tuple[str, int, float]] = []
    if not root.is_dir():
        return found
    for path in root.glob("??/??/*"):
        if len(path.name) != 64 or path.name.startswith("."):
            continue  # a fetch in progress (``.fetch-…``) is not a blob yet
        with contextlib.suppress(FileNotFoundError):
            info = path.stat()
            found.append((path.name, info.st_size, info.st_mtime))
    return found
