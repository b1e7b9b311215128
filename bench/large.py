"""large: one big attachment uploaded, delivered and downloaded (1 GiB by default).

A hub subprocess on PostgreSQL + RabbitMQ. The sender streams a generated body (a 1 MiB
random block repeated, produced as it is sent: nothing of that size is kept on disk or
in memory on the client side) as a multipart upload; the recipient long-polls its
mailbox for the document, then streams the attachment back and counts the bytes. The
hub's VmRSS is sampled every 20 ms throughout; the figure is the peak above the RSS just
before the upload. Throughput is bytes / (upload time + download time).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import payload

from bench.common import MIB, RssSampler, free_port, median, pg_database, temp_home, vhost
from bench.hubproc import HubProcess
from bench.world import prepare, unit_codes, write_config

TARGETS = {"rss_growth_mib": 100.0, "mb_per_s": 200.0}
NAME = "ho-so-lon.bin"


async def generated(size: int) -> AsyncIterator[bytes]:
    """``size`` bytes: one random MiB block repeated, then the remainder."""
    block = os.urandom(MIB)
    left = size
    while left > 0:
        chunk = block if left >= MIB else block[:left]
        left -= len(chunk)
        yield chunk


def _form(size: int, to: str) -> aiohttp.MultipartWriter:
    writer = aiohttp.MultipartWriter("form-data")
    meta = writer.append(json.dumps({"to": [to], "subject": "Hồ sơ lớn"}))
    meta.set_content_disposition("form-data", name="metadata")
    meta.headers["Content-Type"] = "application/json"
    body = payload.AsyncIterablePayload(generated(size), content_type="application/octet-stream")
    part = writer.append_payload(body)
    part.set_content_disposition("form-data", name="file", filename=NAME)
    return writer


async def one_run(
    base: str, tokens: dict[str, str], sender: str, recipient: str, size: int
) -> dict[str, float]:
    """Upload, wait for delivery, download; seconds for each."""
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        auth = {"Authorization": f"Bearer {tokens[sender]}"}
        began = time.perf_counter()
        async with session.post(
            f"{base}/api/v1/messages", data=_form(size, recipient), headers=auth
        ) as r:
            body = await r.json()
            if r.status != 202:
                raise RuntimeError(f"upload refused: {body}")
        uploaded = time.perf_counter()
        mid = str(body["id"])
        rauth = {"Authorization": f"Bearer {tokens[recipient]}"}
        for _ in range(60):
            async with session.get(f"{base}/api/v1/mailbox?wait=5", headers=rauth) as r:
                items = (await r.json())["items"]
            if any(i["message_id"] == mid for i in items):
                break
        delivered = time.perf_counter()
        got = 0
        url = f"{base}/api/v1/messages/{mid}/attachments/{NAME}"
        async with session.get(url, headers=rauth) as r:
            async for chunk in r.content.iter_chunked(MIB):
                got += len(chunk)
        done = time.perf_counter()
        if got != size:
            raise RuntimeError(f"downloaded {got} bytes of {size}")
        await session.post(
            f"{base}/api/v1/messages/{mid}/receipts", json={"status": "01"}, headers=rauth
        )
    return {
        "upload_s": uploaded - began,
        "deliver_s": delivered - uploaded,
        "download_s": done - delivered,
    }


async def measure(*, size: int, runs: int = 1) -> dict[str, Any]:
    """Run the scenario; RSS growth and MB/s (medians over runs)."""
    with temp_home() as home:
        async with pg_database() as db_url:
            with vhost() as amqp_url:
                port = free_port()
                config = write_config(home, db_url, amqp_url, port, max_body=size + 16 * MIB)
                codes = unit_codes(2)
                world = await prepare(config, codes, tokens=codes)
                with HubProcess(home, port) as hub:
                    rows = []
                    for _ in range(runs):
                        before = hub.rss_mib()
                        with RssSampler(hub.pid) as sampler:
                            times = await one_run(hub.base, world.tokens, codes[0], codes[1], size)
                        rows.append(
                            {**times, "rss_before_mib": before, "rss_peak_mib": sampler.peak_mib}
                        )
    mb = size / 1e6
    up = median([r["upload_s"] for r in rows])
    down = median([r["download_s"] for r in rows])
    growth = median([r["rss_peak_mib"] - r["rss_before_mib"] for r in rows])
    result: dict[str, Any] = {
        "size_bytes": size,
        "runs": runs,
        "upload_mb_per_s": round(mb / up, 1),
        "download_mb_per_s": round(mb / down, 1),
        "mb_per_s": round(2 * mb / (up + down), 1),
        "deliver_s": round(median([r["deliver_s"] for r in rows]), 3),
        "rss_before_mib": round(median([r["rss_before_mib"] for r in rows]), 1),
        "rss_growth_mib": round(growth, 1),
    }
    result["targets"] = {
        "rss_growth_mib": {
            "target": 100.0,
            "value": result["rss_growth_mib"],
            "met": growth <= 100.0,
        },
        "mb_per_s": {
            "target": 200.0,
            "value": result["mb_per_s"],
            "met": result["mb_per_s"] >= 200.0,
        },
    }
    return result
