"""Where the object store is and how to reach it (``[blobs] url = "s3://bucket/prefix"``
plus ``LIENTHONG_BLOBS_*``, else ``AWS_*``, from the environment), and its failures as the
typed 503 the hub answers with. The store itself: :mod:`gateway.store.s3blobs`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from gateway.errors import ConfigError, StorageUnavailable

__all__ = ["S3_ERRORS", "S3Location", "status_of", "unavailable"]

#: What the client raises when the store refuses or cannot be reached.
S3_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True, slots=True)
class S3Location:
    """Where the blobs live: endpoint, bucket, key prefix and the credentials to use."""

    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None

    @classmethod
    def from_url(cls, url: str, env: Mapping[str, str] | None = None) -> S3Location:
        """``s3://bucket/prefix`` plus ``LIENTHONG_BLOBS_*`` (else ``AWS_*``) from ``env``."""
        env = os.environ if env is None else env
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"[blobs] url must be s3://bucket/prefix, not {url!r}")

        def pick(name: str, *aws: str) -> str | None:
            for key in (f"LIENTHONG_BLOBS_{name}", *aws):
                if env.get(key):
                    return env[key]
            return None

        return cls(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=pick("ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
            region=pick("REGION", "AWS_REGION", "AWS_DEFAULT_REGION") or "us-east-1",
            access_key_id=pick("ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
            secret_access_key=pick("SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
        )

    def key(self, name: str) -> str:
        """The object key of ``name`` under the prefix."""
        return f"{self.prefix}/{name}" if self.prefix else name


def status_of(exc: Exception) -> int | None:
    """The HTTP status of an object store error, if it has one."""
    response = getattr(exc, "response", None) or {}
    code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(code) if code is not None else None


def unavailable(exc: Exception) -> StorageUnavailable:
    """An object store failure as the typed 503 the hub answers with."""
    return StorageUnavailable(f"the object store refused: {exc}")
