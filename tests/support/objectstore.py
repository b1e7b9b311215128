"""A real S3-protocol server for tests: moto's standalone server, its credentials, keys."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "lienthong-test",
    "AWS_SECRET_ACCESS_KEY": "lienthong-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def s3_client(endpoint: str) -> object:
    """A boto3 S3 client on ``endpoint`` with the test credentials."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_ENV["AWS_DEFAULT_REGION"],
    )


def list_keys(endpoint: str, bucket: str) -> list[str]:
    """Every key in ``bucket``."""
    found = s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in found)


async def pattern(total: int, block: int = 1 << 20) -> AsyncIterator[bytes]:
    """``total`` bytes of a repeating pattern, generated block by block (never all held)."""
    chunk = bytes(range(256)) * (block // 256)
    sent = 0
    while sent < total:
        piece = chunk[: min(block, total - sent)]
        sent += len(piece)
        yield piece


async def pattern_sha(total: int) -> str:
    """The SHA-256 of :func:`pattern`."""
    digest = hashlib.sha256()
    async for block in pattern(total):
        digest.update(block)
    return digest.hexdigest()
