"""An object store that cannot be reached is a typed 503 ``storage.unavailable`` (with
``Retry-After``), never a 500: in the store and over HTTP against ``lienthong serve``."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from support.hubproc import HubHome, free_port
from support.objectstore import S3_ENV

from gateway.errors import StorageUnavailable
from gateway.store.s3blobs import S3BlobStore
from gateway.store.s3location import S3Location

pytestmark = [pytest.mark.integration]

SENDER, RECIPIENT = "000.00.01.H01", "000.00.02.H01"


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> str:
    """An S3 endpoint on a loopback port nothing listens on, in the environment."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    return endpoint


async def test_store_calls_fail_typed(nowhere: str, tmp_path: Path) -> None:
    """put, lookup and read each raise ``storage.unavailable``."""
    store = S3BlobStore(S3Location.from_url("s3://bucket/p"), tmp_path / "cache")
    try:
        for call in (
            lambda: store.put_bytes(b"x"),
            lambda: store.exists("a" * 64),
            lambda: store.local_path("a" * 64),
        ):
            with pytest.raises(StorageUnavailable) as down:
                await call()
            assert down.value.code == "storage.unavailable" and down.value.http_status == 503
    finally:
        await store.close()


async def test_submission_is_503_storage_unavailable(nowhere: str, tmp_path: Path) -> None:
    """A multipart submission while the object store is down: 503 ``storage.unavailable``
    with ``Retry-After``; nothing is stored."""
    home = HubHome(
        tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        bus_url="local://",
        extra_config='[blobs]\nurl = "s3://bucket/p"\n',
    )
    tokens = home.provision({SENDER: "Gửi", RECIPIENT: "Nhận"})
    hub = home.process()
    await hub.start()
    try:
        form = aiohttp.FormData()
        meta = {"to": [RECIPIENT], "subject": "Khi kho đối tượng không chạy"}
        form.add_field("metadata", json.dumps(meta), content_type="application/json")
        form.add_field("file", b"noi dung" * 100, filename="a.txt", content_type="text/plain")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{hub.url}/api/v1/messages",
                data=form,
                headers={"Authorization": f"Bearer {tokens[SENDER]}"},
            ) as resp,
        ):
            body = await resp.json()
            assert resp.status == 503, body
            assert body["error"]["code"] == "storage.unavailable"
            assert resp.headers.get("Retry-After")
            async with http.get(
                f"{hub.url}/api/v1/mailbox",
                headers={"Authorization": f"Bearer {tokens[RECIPIENT]}"},
            ) as box:
                assert (await box.json())["items"] == []
    finally:
        await hub.stop()
