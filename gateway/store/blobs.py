"""Content-addressed blob store: ``root/ab/cd/<sha256>``, one copy per digest.

A file is streamed to a temporary file in its final directory, hashed on the way,
fsynced, checked against the expected digest and size limit, then renamed into place
atomically (and the directory fsynced), so a blob that exists is always complete.
Blocking file IO runs in a worker thread, one chunk at a time.

The blobs of an upload that is then refused are removed again: an API upload holds its
blobs (:meth:`BlobStore.hold`) until it is accepted or refused; when the last upload of this
process holding a blob lets go after a refusal, the hub removes it unless a stored message
names it (:meth:`BlobStore.discard_uploaded`). Each put installs its own copy (a new
inode), so the clean-up can tell whether another process stored the same bytes since: it
moves the blob aside, deletes it only if it is still a copy these uploads made, and puts
it back otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from gateway.errors import EnvelopeError, LimitError, NotFoundError, RequestError, StorageFull

__all__ = ["BlobRef", "BlobStore", "UploadHolds", "sha256_of_file"]

CHUNK = 1024 * 1024
#: Readiness: the blob store's file system must have this much free for the hub.
MIN_FREE_BYTES = 1024 * 1024
#: ``OSError`` numbers that mean "no room": the disk is full, or the quota used up.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """A stored blob: its SHA-256 (lowercase hex) and size in bytes."""

    sha256: str
    size: int
    #: The copy (inode) this put installed, for the clean-up of a refused upload.
    inode: int | None = field(default=None, compare=False)


def sha256_of_file(path: Path, chunk: int = CHUNK) -> str:
    """SHA-256 hex of a file, read in chunks (blocking: call through ``to_thread``)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _check_sha(sha: str) -> str:
    if not _SHA256_RE.fullmatch(sha):
        raise NotFoundError(f"not a SHA-256 digest: {sha[:80]!r}", code="not_found")
    return sha


class UploadHolds:
    """What both blob stores share: ``put_bytes`` over ``put_stream``, and the holds of
    the uploads in this process (``inode``: the copy each put installed)."""

    def __init__(self) -> None:
        #: sha256 -> (uploads holding it, the copies they installed); see :meth:`hold`.
        self._held: dict[str, tuple[int, set[int]]] = {}

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobRef:
        """Stream ``chunks`` into the store (each store's own)."""
        raise NotImplementedError

    async def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> BlobRef:
        """Store ``data`` (small payloads; large ones go through :meth:`put_stream`)."""

        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(one(), expected_sha256=expected_sha256)

    def hold(self, ref: BlobRef) -> None:
        """An upload in this process holds ``ref`` until :meth:`release`."""
        holders, inodes = self._held.get(ref.sha256, (0, set()))
        if ref.inode is not None:
            inodes.add(ref.inode)
        self._held[ref.sha256] = (holders + 1, inodes)

    def release(self, refs: Iterable[BlobRef]) -> dict[str, set[int]]:
        """Drop the holds of ``refs``; the blobs no upload holds any more, each with the
        copies (inodes) the uploads that held it installed."""
        free: dict[str, set[int]] = {}
        for ref in refs:
            holders, inodes = self._held.pop(ref.sha256, (1, set()))
            if holders > 1:
                self._held[ref.sha256] = (holders - 1, inodes)
            else:
                free[ref.sha256] = inodes
        return free


class BlobStore(UploadHolds):
    """Blobs on a local (or shared) file system under ``root``."""

    def __init__(self, root: Path | str) -> None:
        super().__init__()
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where the blob with digest ``sha`` lives (whether or not it exists)."""
        sha = _check_sha(sha.lower())
        return self.root / sha[:2] / sha[2:4] / sha

    async def exists(self, sha: str) -> bool:
        """True when the blob is stored."""
        return await asyncio.to_thread(self.path(sha).is_file)

    async def local_path(self, sha: str) -> Path:
        """A local file with the blob's bytes: the blob itself."""
        return self.path(sha)

    async def close(self) -> None:
        """Nothing to close (the object store's :meth:`close` has a client)."""

    async def size(self, sha: str) -> int:
        """The blob's size in bytes; ``not_found`` if it is not stored."""
        try:
            return (await asyncio.to_thread(self.path(sha).stat)).st_size
        except FileNotFoundError as exc:
            raise NotFoundError(f"no blob {sha}", code="not_found") from exc

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobRef:
        """Stream ``chunks`` into the store; check digest and size; one copy per digest.

        Raises ``envelope.attachment_mismatch`` when the bytes do not hash to
        ``expected_sha256``, ``limit.body_too_large`` past ``max_bytes`` and
        ``storage.full`` (507) when the disk has no room; in each case nothing is left
        behind.
        """
        try:
            return await self._put_stream(chunks, expected_sha256, max_bytes)
        except OSError as exc:
            if exc.errno in _NO_ROOM:
                raise StorageFull(f"the blob store has no room: {exc.strerror}") from exc
            raise

    def has_space(self) -> bool:
        """True while the blob store's file system has :data:`MIN_FREE_BYTES` free for
        the hub (readiness: a full disk refuses every submission)."""
        where = self.root
        while not where.exists() and where != where.parent:
            where = where.parent
        try:
            found = os.statvfs(where)
        except OSError:
            return False
        return found.f_bavail * found.f_frsize >= MIN_FREE_BYTES

    async def _put_stream(
        self, chunks: AsyncIterable[bytes], expected_sha256: str | None, max_bytes: int | None
    ) -> BlobRef:
        """:meth:`put_stream`, its errors untranslated."""
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        tmp = self.root / f".incoming-{secrets.token_hex(8)}"
        fh = await asyncio.to_thread(tmp.open, "xb")
        try:
            digest, size = await self._write_all(fh, chunks, max_bytes)
            await asyncio.to_thread(_flush_and_close, fh)
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256.lower():
                raise EnvelopeError(
                    f"content hashes to {sha}, not {expected_sha256}",
                    code="envelope.attachment_mismatch",
                )
            inode = await asyncio.to_thread(self._install, tmp, sha)
            return BlobRef(sha, size, inode)
        finally:
            await asyncio.to_thread(_discard, fh, tmp)

    async def _write_all(
        self, fh: BinaryIO, chunks: AsyncIterable[bytes], max_bytes: int | None
    ) -> tuple[hashlib._Hash, int]:
        digest = hashlib.sha256()
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise LimitError(f"more than {max_bytes} bytes", code="limit.body_too_large")
            digest.update(chunk)
            await asyncio.to_thread(fh.write, chunk)
        return digest, size

    def _install(self, tmp: Path, sha: str) -> int:
        """Put ``tmp`` in place; its inode. One copy per digest: a second put of the same
        bytes replaces the first copy with an identical one (so each put is told apart)."""
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        inode = tmp.stat().st_ino
        try:
            os.link(tmp, final)  # atomic create-if-absent; the caller removes ``tmp``
        except FileExistsError:
            tmp.replace(final)
        _fsync_dir(final.parent)
        return inode

    async def discard_uploaded(self, free: dict[str, set[int]]) -> int:
        """Remove each blob of ``free`` (as :meth:`release` answers) whose copy is still one
        those uploads installed; how many went."""
        removed = 0
        for sha, inodes in free.items():
            removed += await asyncio.to_thread(self._discard_if_mine, sha, inodes)
        return removed

    def _discard_if_mine(self, sha: str, inodes: set[int]) -> bool:
        final = self.path(sha)
        aside = self.root / f".discard-{secrets.token_hex(8)}"
        try:
            final.rename(aside)  # from here a concurrent put installs a fresh copy
        except FileNotFoundError:
            return False
        try:
            if aside.stat().st_ino in inodes:
                return True
            with contextlib.suppress(FileExistsError):
                os.link(aside, final)  # another put stored these bytes since: keep them
            return False
        finally:
            aside.unlink(missing_ok=True)

    async def open_range(self, sha: str, start: int = 0, end: int | None = None) -> RangeReader:
        """Bytes ``start..end`` inclusive (HTTP Range semantics); ``end=None`` to the end.

        Raises ``request.bad_range`` when the range lies outside the blob.
        """
        path = self.path(sha)
        try:
            total = (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError as exc:
            raise NotFoundError(f"no blob {sha}", code="not_found") from exc
        last = total - 1 if end is None else min(end, total - 1)
        if start < 0 or start > last:
            raise RequestError(
                f"range {start}-{end} outside 0-{total - 1}", code="request.bad_range"
            )
        return RangeReader(path, start, last, total)


class RangeSpan:
    """What both range readers share: ``start..end`` inclusive, read whole or in chunks."""

    __slots__ = ()
    start: int
    end: int

    @property
    def length(self) -> int:
        """Number of bytes the range covers."""
        return self.end - self.start + 1

    def __aiter__(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def read(self) -> bytes:
        """The whole range in memory (small ranges and tests)."""
        return b"".join([chunk async for chunk in self])


@dataclass(frozen=True, slots=True)
class RangeReader(RangeSpan):
    """An async iterable over part of a blob: ``async for chunk in store.open_range(...)``."""

    path: Path
    start: int
    end: int  # inclusive
    total: int

    async def __aiter__(self) -> AsyncIterator[bytes]:
        fh = await asyncio.to_thread(self.path.open, "rb")
        try:
            await asyncio.to_thread(fh.seek, self.start)
            remaining = self.length
            while remaining > 0:
                block = await asyncio.to_thread(fh.read, min(CHUNK, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block
        finally:
            await asyncio.to_thread(fh.close)


def _flush_and_close(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()


def _discard(fh: BinaryIO, tmp: Path) -> None:
    if not fh.closed:
        fh.close()
    tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
