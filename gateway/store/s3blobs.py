"""Blobs in an S3-compatible object store (MinIO, Ceph RGW, AWS S3), content-addressed.

Selected by ``[blobs] url = "s3://bucket/prefix"``; the endpoint, region and credentials
come from the environment (``LIENTHONG_BLOBS_ENDPOINT`` / ``_REGION`` /
``_ACCESS_KEY_ID`` / ``_SECRET_ACCESS_KEY``, else the usual ``AWS_*`` variables), never
from the repository. The object of a blob is ``prefix/ab/cd/<sha256>``, as on disk.

An upload streams through a multipart upload to a temporary key (parts of
``part_size`` bytes, one part in memory at a time) while the bytes are hashed; once the
digest is known and checked, the object is copied server-side to its content address and
the temporary key deleted. S3 writes are durable when acknowledged, so a 202 still means
the bytes survive a crash of the hub.

Each installed copy carries a random token in its metadata (the ``inode`` of
:class:`~gateway.store.blobs.BlobRef`), so the clean-up after a refused upload deletes an
object only while it is still the copy that upload installed.

Readers that need a file (``FileResponse``, the adapters) get one from a local,
content-addressed cache under the hub's home (:meth:`S3BlobStore.local_path`), fetched
once, streamed, and checked against its digest; the cache is kept under ``[blobs]
cache_max_mib``, least recently used files deleted first (:mod:`gateway.store.blobcache`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.errors import (
    EnvelopeError,
    LimitError,
    NotFoundError,
    RequestError,
)
from gateway.store.blobcache import CacheBound
from gateway.store.blobs import CHUNK, BlobRef, BlobStore, RangeSpan, UploadHolds, _check_sha
from gateway.store.s3location import S3_ERRORS, S3Location, status_of, unavailable

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

    from gateway.config import Config

__all__ = ["AnyBlobStore", "S3BlobStore", "S3RangeReader", "open_blob_store"]

#: The smallest part S3 accepts (but the last).
MIN_PART = 5 * 1024 * 1024
#: The largest object a single server-side copy may write.
_MAX_COPY = 5 * 1024**3
_TOKEN_KEY = "lienthong-copy"  # noqa: S105 (a metadata key, not a secret)


class S3BlobStore(UploadHolds):
    """The :class:`~gateway.store.blobs.BlobStore` interface over an S3 bucket."""

    def __init__(
        self,
        location: S3Location,
        cache_dir: Path,
        *,
        part_size: int = 8 << 20,
        cache_max_bytes: int = 0,
    ):
        super().__init__()
        self.location = location
        self.cache_dir = Path(cache_dir)
        #: The cache's size bound (0: none).
        self.cache = CacheBound(self.cache_dir, cache_max_bytes)
        self.part_size = max(part_size, MIN_PART)
        self._client: S3Client | None = None
        self._exit: contextlib.AsyncExitStack | None = None
        self._opening = asyncio.Lock()
        self._fetching: dict[str, asyncio.Future[Path]] = {}

    # -- the client ---------------------------------------------------------------

    async def client(self) -> S3Client:
        """The S3 client, made on first use in the running loop."""
        if self._client is not None:
            return self._client
        async with self._opening:
            if self._client is None:
                from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
                from aiobotocore.session import get_session  # type: ignore[import-untyped]

                loc = self.location
                stack = contextlib.AsyncExitStack()
                self._client = await stack.enter_async_context(
                    get_session().create_client(
                        "s3",
                        endpoint_url=loc.endpoint,
                        region_name=loc.region,
                        aws_access_key_id=loc.access_key_id,
                        aws_secret_access_key=loc.secret_access_key,
                        config=AioConfig(
                            max_pool_connections=32,
                            retries={"max_attempts": 3, "mode": "standard"},
                            s3={"addressing_style": "path"},
                        ),
                    )
                )
                self._exit = stack
        assert self._client is not None
        return self._client

    async def close(self) -> None:
        """Close the client (the hub's stop)."""
        if self._exit is not None:
            await self._exit.aclose()
        self._client = self._exit = None

    def key(self, sha: str) -> str:
        """The object key of the blob ``sha``."""
        sha = _check_sha(sha.lower())
        return self.location.key(f"{sha[:2]}/{sha[2:4]}/{sha}")

    # -- lookups ----------------------------------------------------------------

    async def _head(self, sha: str) -> dict[str, Any] | None:
        client = await self.client()
        try:
            return dict(await client.head_object(Bucket=self.location.bucket, Key=self.key(sha)))
        except S3_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise unavailable(exc) from exc

    async def exists(self, sha: str) -> bool:
        """True when the blob is stored."""
        return await self._head(sha) is not None

    async def size(self, sha: str) -> int:
        """The blob's size in bytes; ``not_found`` if it is not stored."""
        head = await self._head(sha)
        if head is None:
            raise NotFoundError(f"no blob {sha}", code="not_found")
        return int(head["ContentLength"])

    async def sizes(self, shas: Iterable[str]) -> dict[str, int | None]:
        """The size of each blob of ``shas`` (None when absent), looked up together."""
        unique = sorted(set(shas))
        heads = await asyncio.gather(*(self._head(s) for s in unique))
        return {
            s: None if h is None else int(h["ContentLength"])
            for s, h in zip(unique, heads, strict=True)
        }

    def has_space(self) -> bool:
        """An object store is never full from the hub's point of view (readiness)."""
        return True

    # -- writes -----------------------------------------------------------------

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobRef:
        """Stream ``chunks`` into the bucket; check digest and size; one copy per digest.

        Raises ``envelope.attachment_mismatch``, ``limit.body_too_large`` and
        ``storage.unavailable`` as the file system store does; nothing is left behind.
        """
        client = await self.client()
        bucket = self.location.bucket
        tmp = self.location.key(f".incoming/{secrets.token_hex(12)}")
        try:
            upload = await client.create_multipart_upload(Bucket=bucket, Key=tmp)
        except S3_ERRORS as exc:
            raise unavailable(exc) from exc
        upload_id = upload["UploadId"]
        done = False
        try:
            digest, size, parts = await self._upload_parts(
                client, tmp, upload_id, chunks, max_bytes
            )
            await client.complete_multipart_upload(
                Bucket=bucket, Key=tmp, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            done = True
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256.lower():
                raise EnvelopeError(
                    f"content hashes to {sha}, not {expected_sha256}",
                    code="envelope.attachment_mismatch",
                )
            token = await self._install(client, tmp, sha, size)
            return BlobRef(sha, size, token)
        except S3_ERRORS as exc:
            raise unavailable(exc) from exc
        finally:
            with contextlib.suppress(Exception):
                if done:
                    await client.delete_object(Bucket=bucket, Key=tmp)
                else:
                    await client.abort_multipart_upload(Bucket=bucket, Key=tmp, UploadId=upload_id)

    async def _upload_parts(
        self,
        client: S3Client,
        key: str,
        upload_id: str,
        chunks: AsyncIterable[bytes],
        max_bytes: int | None,
    ) -> tuple[hashlib._Hash, int, list[Any]]:
        """Hash and upload ``chunks`` in parts of ``part_size``; one part buffered at a time."""
        digest, size = hashlib.sha256(), 0
        parts: list[Any] = []
        buffer = bytearray()

        async def flush() -> None:
            number = len(parts) + 1
            sent = await client.upload_part(
                Bucket=self.location.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=bytes(buffer),
            )
            parts.append({"PartNumber": number, "ETag": sent["ETag"]})
            buffer.clear()

        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise LimitError(f"more than {max_bytes} bytes", code="limit.body_too_large")
            digest.update(chunk)
            buffer += chunk
            if len(buffer) >= self.part_size:
                await flush()
        if buffer or not parts:
            await flush()
        return digest, size, parts

    async def _install(self, client: S3Client, tmp: str, sha: str, size: int) -> int | None:
        """Copy ``tmp`` to the blob's address unless it is there already; the copy's token
        (None when the bytes were already stored: that copy is not this upload's)."""
        if await self._head(sha) is not None:
            return None
        token = secrets.randbits(62)
        bucket, final = self.location.bucket, self.key(sha)
        meta = {_TOKEN_KEY: str(token)}
        source = {"Bucket": bucket, "Key": tmp}
        if size <= _MAX_COPY:
            await client.copy_object(
                Bucket=bucket,
                Key=final,
                CopySource=source,  # type: ignore[arg-type]
                Metadata=meta,
                MetadataDirective="REPLACE",
            )
            return token
        upload = await client.create_multipart_upload(Bucket=bucket, Key=final, Metadata=meta)
        parts: list[Any] = []
        step = 1024**3
        for number, start in enumerate(range(0, size, step), start=1):
            copied = await client.upload_part_copy(
                Bucket=bucket,
                Key=final,
                UploadId=upload["UploadId"],
                PartNumber=number,
                CopySource=source,  # type: ignore[arg-type]
                CopySourceRange=f"bytes={start}-{min(start + step, size) - 1}",
            )
            parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
        await client.complete_multipart_upload(
            Bucket=bucket, Key=final, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
        )
        return token

    # -- holds and the clean-up of refused uploads -------------------------------

    async def discard_uploaded(self, free: dict[str, set[int]]) -> int:
        """Delete each blob of ``free`` whose object is still a copy those uploads
        installed (its token matches); how many went."""
        removed = 0
        client = await self.client()
        for sha, tokens in free.items():
            head = await self._head(sha)
            if head is None or not tokens:
                continue
            token = head.get("Metadata", {}).get(_TOKEN_KEY, "")
            if token.isdigit() and int(token) in tokens:
                try:
                    await client.delete_object(Bucket=self.location.bucket, Key=self.key(sha))
                except S3_ERRORS as exc:
                    raise unavailable(exc) from exc
                removed += 1
        return removed

    # -- reads ------------------------------------------------------------------

    async def open_range(self, sha: str, start: int = 0, end: int | None = None) -> S3RangeReader:
        """Bytes ``start..end`` inclusive (HTTP Range semantics); ``end=None`` to the end."""
        total = await self.size(sha)
        last = total - 1 if end is None else min(end, total - 1)
        if start < 0 or start > last:
            raise RequestError(
                f"range {start}-{end} outside 0-{total - 1}", code="request.bad_range"
            )
        return S3RangeReader(self, self.key(sha), start, last, total)

    async def local_path(self, sha: str) -> Path:
        """A local file with the blob's bytes (fetched once into the cache, checked)."""
        sha = _check_sha(sha.lower())
        path = self.cache_dir / sha[:2] / sha[2:4] / sha
        if await self.cache.used(sha, path):
            return path
        pending = self._fetching.get(sha)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._fetching[sha] = pending
            try:
                fetched = await self._fetch(sha, path)
                await self.cache.added(sha, fetched)
                pending.set_result(fetched)
            except BaseException as exc:
                pending.set_exception(exc)
                pending.exception()  # retrieved: the waiters, if any, get it too
                raise
            finally:
                del self._fetching[sha]
        return await asyncio.shield(pending)

    async def _fetch(self, sha: str, path: Path) -> Path:
        """Stream the blob into ``path`` through a temporary file; check its digest."""
        reader = await self.open_range(sha)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        tmp = path.parent / f".fetch-{secrets.token_hex(8)}"
        fh = await asyncio.to_thread(tmp.open, "xb")
        try:
            digest = hashlib.sha256()
            async for block in reader:
                digest.update(block)
                await asyncio.to_thread(fh.write, block)
            await asyncio.to_thread(fh.close)
            if digest.hexdigest() != sha:
                raise EnvelopeError(
                    f"the object store's bytes of {sha} hash otherwise",
                    code="envelope.attachment_mismatch",
                )
            await asyncio.to_thread(tmp.replace, path)
            return path
        finally:
            if not fh.closed:
                fh.close()
            await asyncio.to_thread(tmp.unlink, missing_ok=True)


@dataclass(frozen=True, slots=True)
class S3RangeReader(RangeSpan):
    """An async iterable over part of an object (one ranged GET, read in chunks)."""

    store: S3BlobStore
    key: str
    start: int
    end: int  # inclusive
    total: int

    async def __aiter__(self) -> AsyncIterator[bytes]:
        client = await self.store.client()
        try:
            got = await client.get_object(
                Bucket=self.store.location.bucket,
                Key=self.key,
                Range=f"bytes={self.start}-{self.end}",
            )
            async with got["Body"] as body:
                while block := await body.read(CHUNK):
                    yield block
        except S3_ERRORS as exc:
            raise unavailable(exc) from exc


#: Either store: the hub's blobs on the home's disk or in an object store.
AnyBlobStore = BlobStore | S3BlobStore


def open_blob_store(config: Config, env: Mapping[str, str] | None = None) -> AnyBlobStore:
    """The blob store ``config`` names: ``[blobs] url`` empty keeps them under the home."""
    if not config.blobs.url:
        return BlobStore(config.blob_dir)
    return S3BlobStore(
        S3Location.from_url(config.blobs.url, env),
        config.blob_cache_dir,
        part_size=config.blobs.part_size_mib << 20,
        cache_max_bytes=config.blobs.cache_max_mib << 20,
    )
