"""A real S3-protocol server (moto's standalone server) for the object-store tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from support.hubproc import free_port
from support.objectstore import S3_ENV, s3_client


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server running in a thread of this process."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the test server; the S3 endpoint and credentials in the env."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    name = f"lt-{secrets.token_hex(6)}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return name
