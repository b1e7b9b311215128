"""fan-out: one document to every commune of a province (152 by default).

A hub subprocess on PostgreSQL + RabbitMQ; every commune long-polls its mailbox before
the province submits (multipart: metadata to the "all communes" group + one 100 KB file,
sealed by the hub). The figure is the time from the start of the submit to the moment
the last commune's long-poll returned the document. Each run sends a new file; at the
end the blob store must hold exactly one blob per file sent (stored once, not per
recipient).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import free_port, median, pg_database, temp_home, vhost
from bench.hubproc import HubProcess
from bench.world import ALL_COMMUNES, PROVINCE, World, prepare, unit_codes, write_config

TARGET_S = 0.5
FILE_BYTES = 100 * 1024


async def _poll_until(
    session: aiohttp.ClientSession, base: str, token: str, mid: asyncio.Future[str]
) -> float:
    """Long-poll until the item of this run arrives; ack everything seen; arrival time."""
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        params = {"wait": "10", "limit": "50"}
        async with session.get(f"{base}/api/v1/mailbox", params=params, headers=headers) as r:
            items = (await r.json())["items"]
        now = time.perf_counter()
        await mid
        for item in items:
            async with session.post(
                f"{base}/api/v1/mailbox/{item['item_id']}/ack", headers=headers
            ) as r:
                await r.read()
        if any(item["message_id"] == mid.result() for item in items):
            return now


async def _submit(session: aiohttp.ClientSession, base: str, token: str) -> str:
    form = aiohttp.FormData()
    meta = {"to": [ALL_COMMUNES], "subject": "Công văn gửi toàn bộ xã"}
    form.add_field("metadata", json.dumps(meta), content_type="application/json")
    form.add_field(
        "file", os.urandom(FILE_BYTES), filename="cv.pdf", content_type="application/pdf"
    )
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(f"{base}/api/v1/messages", data=form, headers=headers) as resp:
        body = await resp.json()
        if resp.status != 202:
            raise RuntimeError(f"submit refused: {body}")
        return str(body["id"])


async def one_run(world: World, base: str) -> dict[str, float]:
    """One document to every commune; seconds until the last mailbox had it."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        mid: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        pollers = [
            asyncio.create_task(_poll_until(session, base, world.tokens[u], mid))
            for u in world.units
        ]
        await asyncio.sleep(0.5)  # every long-poll is parked in the hub
        began = time.perf_counter()
        mid.set_result(await _submit(session, base, world.tokens[PROVINCE]))
        accepted = time.perf_counter() - began
        arrivals = await asyncio.wait_for(asyncio.gather(*pollers), 60)
    return {"all_delivered_s": max(arrivals) - began, "submit_s": accepted}


def blob_count(home: Path) -> int:
    """Files in the hub's content-addressed blob store."""
    root = home / "blobs"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


async def measure(*, runs: int = 3, communes: int = 152) -> dict[str, Any]:
    """Run the scenario; medians and the stored-once check."""
    with temp_home() as home:
        async with pg_database() as db_url:
            with vhost() as amqp_url:
                port = free_port()
                config = write_config(home, db_url, amqp_url, port)
                codes = unit_codes(communes)
                world = await prepare(config, codes, tokens=[PROVINCE, *codes], group=ALL_COMMUNES)
                with HubProcess(home, port) as hub:
                    await one_run(world, hub.base)  # warm-up
                    results = [await one_run(world, hub.base) for _ in range(runs)]
                blobs = blob_count(home)
    value = round(median([r["all_delivered_s"] for r in results]), 3)
    stored_once = blobs == runs + 1
    return {
        "communes": communes,
        "runs": runs,
        "all_delivered_s": value,
        "submit_s": round(median([r["submit_s"] for r in results]), 3),
        "per_run_s": [round(r["all_delivered_s"], 3) for r in results],
        "blobs": blobs,
        "files_sent": runs + 1,
        "stored_once": stored_once,
        "targets": {
            "all_delivered_s": {"target": TARGET_S, "value": value, "met": value <= TARGET_S},
            "stored_once": {"target": True, "value": stored_once, "met": stored_once},
        },
    }
