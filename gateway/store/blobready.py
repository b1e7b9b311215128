"""Readiness of the blob store (``/readyz`` ``storage``).

On the home's disk: room left on its file system (:meth:`BlobStore.has_space`). In an
object store (``[blobs] url = "s3://…"``): the bucket answers a ``HEAD`` with the hub's
credentials within ``within`` seconds, so a store that is down, a bucket that is gone or
credentials that no longer work take the hub out of the load balancer's rotation instead
of failing the submissions one by one.
"""

from __future__ import annotations

import asyncio

import structlog

from gateway.errors import StorageUnavailable
from gateway.store.s3blobs import AnyBlobStore, S3BlobStore
from gateway.store.s3location import S3_ERRORS

__all__ = ["storage_ready"]

log = structlog.get_logger("gateway.store.blobready")


async def storage_ready(blobs: AnyBlobStore, within: float = 2.0) -> bool:
    """True when the blob store can take and give bytes now."""
    if not isinstance(blobs, S3BlobStore):
        return await asyncio.to_thread(blobs.has_space)
    try:
        async with asyncio.timeout(within):
            client = await blobs.client()
            await client.head_bucket(Bucket=blobs.location.bucket)
    except (TimeoutError, StorageUnavailable, *S3_ERRORS) as exc:
        log.warning("store.object_store_not_ready", error=repr(exc)[:300])
        return False
    return True
