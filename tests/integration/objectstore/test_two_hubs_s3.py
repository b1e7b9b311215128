"""Two ``lienthong serve`` processes with separate homes share one PostgreSQL, one
RabbitMQ vhost and one S3 bucket (moto's server): a document submitted on hub 1 is fetched,
with its file, from hub 2; a large file passes through in bounded memory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support.hubproc import HubHome, HubProcess
from support.objectstore import list_keys, pattern, pattern_sha

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SENDER, RECIPIENT = "000.00.01.H01", "000.00.02.H01"
UNITS = {SENDER: "Đơn vị gửi", RECIPIENT: "Đơn vị nhận"}
#: The large file: 256 MiB (the issue names 1 GiB; a quarter keeps the test minutes-short
#: on a loaded two-core machine, and RSS growth does not depend on the size when streamed).
LARGE = 256 << 20
MAX_RSS_GROWTH = 100 << 20


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def two_hubs(
    tmp_path: Path, pg_url: str, amqp_url: str, s3_bucket: str
) -> AsyncIterator[tuple[HubProcess, HubProcess]]:
    """Hub 1 and hub 2 running, each on its own home (the keys copied, as an operator
    distributes them), one database, vhost and bucket."""
    blobs = f'[blobs]\nurl = "s3://{s3_bucket}/lienthong"\n'
    first = HubHome(tmp_path / "home1", database_url=pg_url, bus_url=amqp_url, extra_config=blobs)
    first.provision(UNITS)
    shutil.copytree(first.root / "keys", tmp_path / "home2" / "keys")
    second = HubHome(tmp_path / "home2", database_url=pg_url, bus_url=amqp_url, extra_config=blobs)
    second.tokens = dict(first.tokens)
    for home in (first, second):  # room for the large file
        config = home.root / "config.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[hub]\n", f"[hub]\nmax_body_bytes = {LARGE * 2}\n", 1))
    hubs = (first.process(), second.process())
    try:
        for hub in hubs:
            await hub.start()
        yield hubs
    finally:
        for hub in hubs:
            await hub.stop()


async def submit(
    http: aiohttp.ClientSession, hub: HubProcess, body: Any, name: str = "van-ban.bin"
) -> str:
    """A multipart submission from SENDER to RECIPIENT on ``hub``; the message id."""
    with aiohttp.MultipartWriter("form-data") as form:
        meta = form.append_json({"to": [RECIPIENT], "subject": f"tài liệu {name}"})
        meta.set_content_disposition("form-data", name="metadata")
        part = form.append(body, {"Content-Type": "application/octet-stream"})
        part.set_content_disposition("form-data", name="file", filename=name)
        async with http.post(
            f"{hub.url}/api/v1/messages", data=form, headers=bearer(hub.home.tokens[SENDER])
        ) as resp:
            answer = await resp.text()
            assert resp.status == 202, answer
            return str(json.loads(answer)["id"])


async def next_item(http: aiohttp.ClientSession, hub: HubProcess, unit: str) -> dict[str, Any]:
    """The first item of ``unit``'s mailbox on ``hub`` (waiting for one)."""
    for _ in range(60):
        async with http.get(
            f"{hub.url}/api/v1/mailbox?wait=1&limit=10", headers=bearer(hub.home.tokens[unit])
        ) as resp:
            assert resp.status == 200, await resp.text()
            items: list[dict[str, Any]] = (await resp.json())["items"]
        if items:
            return items[0]
    raise AssertionError(f"nothing in {unit}'s mailbox on {hub.url}")


async def fetch_sha(http: aiohttp.ClientSession, hub: HubProcess, mid: str, name: str) -> str:
    """The recipient downloads the file from ``hub``, hashing it as it streams."""
    digest = hashlib.sha256()
    async with http.get(
        f"{hub.url}/api/v1/messages/{mid}/attachments/{name}",
        headers=bearer(hub.home.tokens[RECIPIENT]),
    ) as resp:
        assert resp.status == 200, await resp.text()
        async for block in resp.content.iter_chunked(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def rss(hub: HubProcess) -> int:
    """The hub process's resident set in bytes."""
    assert hub.proc is not None
    status = Path(f"/proc/{hub.proc.pid}/status").read_text(encoding="utf-8")
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


async def peak_rss(hub: HubProcess, stop: asyncio.Event) -> int:
    """Sample ``hub``'s RSS until ``stop``; the largest."""
    peak = 0
    while not stop.is_set():
        peak = max(peak, rss(hub))
        await asyncio.sleep(0.05)
    return peak


async def test_submitted_on_one_hub_fetched_with_its_file_from_the_other(
    two_hubs: tuple[HubProcess, HubProcess], s3_endpoint: str, s3_bucket: str
) -> None:
    """Hub 1 takes the document; hub 2 delivers it, serves its file from the bucket and
    takes the 01 answer and the ack; the sender drains the receipt on hub 1. No blob lands
    on either home's disk store."""
    one, two = two_hubs
    data = "Nội dung văn bản thử nghiệm. ".encode() * 400
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        mid = await submit(http, one, data)
        item = await next_item(http, two, RECIPIENT)
        assert item["kind"] == "document" and item["message_id"] == mid
        assert await fetch_sha(http, two, mid, "van-ban.bin") == hashlib.sha256(data).hexdigest()
        token = bearer(two.home.tokens[RECIPIENT])
        url = f"{two.url}/api/v1/messages/{mid}"
        async with http.post(f"{url}/receipts", json={"status": "01"}, headers=token) as resp:
            assert resp.status == 201, await resp.text()
        async with http.post(
            f"{two.url}/api/v1/mailbox/{item['item_id']}/ack", headers=token
        ) as resp:
            assert resp.status in (200, 204), await resp.text()
        receipt = await next_item(http, one, SENDER)
        assert receipt["kind"] != "document" and receipt["message_id"] == mid
    sha = hashlib.sha256(data).hexdigest()
    assert f"lienthong/{sha[:2]}/{sha[2:4]}/{sha}" in list_keys(s3_endpoint, s3_bucket)
    for hub in two_hubs:
        stored = hub.home.root / "blobs"
        assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


async def test_large_file_streams_through_both_hubs_in_bounded_memory(
    two_hubs: tuple[HubProcess, HubProcess],
) -> None:
    """A 256 MiB file up through hub 1 and down through hub 2: the right bytes, and neither
    hub's RSS grows by more than 100 MiB."""
    one, two = two_hubs
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as http:
        mid = await submit(http, one, pattern(4096), name="warm-up.bin")  # warm both paths
        await fetch_sha(http, two, mid, "warm-up.bin")
        await next_item(http, two, RECIPIENT)
        base = (rss(one), rss(two))
        stop = asyncio.Event()
        watch = [asyncio.create_task(peak_rss(hub, stop)) for hub in two_hubs]
        try:
            mid = await submit(http, one, pattern(LARGE), name="lon.bin")
            assert await fetch_sha(http, two, mid, "lon.bin") == await pattern_sha(LARGE)
        finally:
            stop.set()
            peaks = await asyncio.gather(*watch)
    growth = [peak - start for peak, start in zip(peaks, base, strict=True)]
    print(f"RSS growth (MiB) hub 1, hub 2: {[g >> 20 for g in growth]}")
    assert max(growth) <= MAX_RSS_GROWTH, [g >> 20 for g in growth]
