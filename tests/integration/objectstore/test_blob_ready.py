"""Readiness of an object store (``gateway.store.blobready``) against moto's S3 server:
a reachable bucket is ready; a missing bucket and an endpoint nobody listens on are not,
and the answer comes within the time allowed."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest
from support.hubproc import HubHome, free_port

from gateway.store.blobready import storage_ready
from gateway.store.s3blobs import S3BlobStore
from gateway.store.s3location import S3Location

pytestmark = [pytest.mark.integration]


async def ready(url: str, cache: Path, within: float = 3.0) -> bool:
    """``storage_ready`` of a fresh store on ``url`` (closed afterwards)."""
    store = S3BlobStore(S3Location.from_url(url), cache)
    try:
        return await storage_ready(store, within=within)
    finally:
        await store.close()


async def test_a_reachable_bucket_is_ready(s3_bucket: str, tmp_path: Path) -> None:
    """The test bucket on the moto server answers: ready (given time enough for a fresh
    client's first request on a loaded machine: the 3 s limit is for the failures)."""
    assert await ready(f"s3://{s3_bucket}/p", tmp_path, within=30.0)


async def test_a_missing_bucket_is_not_ready(s3_bucket: str, tmp_path: Path) -> None:
    """A bucket that does not exist on the server: not ready."""
    assert not await ready(f"s3://{s3_bucket}-gone/p", tmp_path)


async def test_an_endpoint_nobody_listens_on_is_not_ready(
    s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint moved to a loopback port with no server: not ready, within the time."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    began = time.monotonic()
    assert not await ready(f"s3://{s3_bucket}/p", tmp_path)
    assert time.monotonic() - began < 10


async def readyz(tmp_path: Path, url: str) -> tuple[int, dict[str, object]]:
    """``/readyz`` of a ``lienthong serve`` whose blobs are at ``url`` (SQLite, local bus)."""
    home = HubHome(
        tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        bus_url="local://",
        extra_config=f'[blobs]\nurl = "{url}"\n',
    )
    home.provision({"000.00.01.H01": "Đơn vị"}, keys=False)
    hub = home.process()
    await hub.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{hub.url}/readyz") as resp,
        ):
            return resp.status, await resp.json()
    finally:
        await hub.stop()


async def test_readyz_over_http_names_the_object_store(s3_bucket: str, tmp_path: Path) -> None:
    """A running hub on the moto bucket is ready; one whose bucket is gone answers 503
    naming ``storage``."""
    status, body = await readyz(tmp_path / "up", f"s3://{s3_bucket}/p")
    assert status == 200 and body["checks"]["storage"] is True, body  # type: ignore[index]
    status, body = await readyz(tmp_path / "gone", f"s3://{s3_bucket}-gone/p")
    assert status == 503 and body["down"] == ["storage"], body
