"""Issue 24 item 3: a retirement scheduled by the CLI (its own process) switches routing,
credentials and the pending items at its instant in two `lienthong serve` processes on
one PostgreSQL database and one RabbitMQ vhost; before it, nothing changes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support.hubproc import HubHome

pytestmark = [pytest.mark.integration, pytest.mark.slow]

A, B, C = "000.00.01.H01", "000.00.02.H01", "000.00.03.H01"


async def _send(http: aiohttp.ClientSession, url: str, token: str, to: str) -> str:
    form = aiohttp.FormData()
    form.add_field("metadata", json.dumps({"to": [to], "subject": "Công văn"}))
    form.add_field("file", b"x" * 100, filename="a.txt", content_type="text/plain")
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{url}/api/v1/messages", data=form, headers=headers) as resp:
        assert resp.status == 202, await resp.text()
        return str((await resp.json())["id"])


async def _get(http: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def _recipients(http: aiohttp.ClientSession, url: str, token: str, mid: str) -> list[str]:
    status, body = await _get(http, f"{url}/api/v1/messages/{mid}/status", token)
    assert status == 200, body
    return [r["unit"] for r in body["recipients"]]


async def test_scheduled_retirement_switches_every_process_at_its_instant(
    tmp_path: Path, pg_url: str, amqp_url: str
) -> None:
    """Before the instant B gets its mail in both processes; from it, both send B's mail
    to C, refuse B's token, and C reads B's pending items, each once."""
    home = HubHome(tmp_path / "home", database_url=pg_url, bus_url=amqp_url)
    tokens = home.provision({A: "Huyện A", B: "Huyện B", C: "Huyện C"})
    hubs = [home.process(), home.process()]
    try:
        for hub in hubs:
            await hub.start()
        one, two = (h.url for h in hubs)
        async with aiohttp.ClientSession() as http:
            early = await _send(http, one, tokens[A], B)
            instant = datetime.now(UTC) + timedelta(seconds=6)
            home.cli("units", "retire", B, "--successor", C, "--at", instant.isoformat())
            before = await _send(http, two, tokens[A], B)
            assert await _recipients(http, one, tokens[A], before) == [B]
            assert (await _get(http, f"{two}/api/v1/mailbox?wait=0", tokens[B]))[0] == 200
            await asyncio.sleep((instant - datetime.now(UTC)).total_seconds() + 1.5)

            late = [await _send(http, url, tokens[A], B) for url in (one, two)]
            for url in (one, two):
                for mid in late:
                    assert await _recipients(http, url, tokens[A], mid) == [C]
                status, body = await _get(http, f"{url}/api/v1/mailbox?wait=0", tokens[B])
                assert (status, body["error"]["code"]) == (401, "auth.unit_retired")
            seen: list[str] = []
            for _ in range(50):
                status, body = await _get(http, f"{two}/api/v1/mailbox?wait=1", tokens[C])
                items = body["items"]
                seen += [i["message_id"] for i in items]
                for item in items:
                    ack = f"{one}/api/v1/mailbox/{item['item_id']}/ack"
                    async with http.post(ack, headers={"Authorization": f"Bearer {tokens[C]}"}):
                        pass
                if set(seen) >= {early, before, *late}:
                    break
            assert sorted(seen) == sorted([early, before, *late])
            assert (await _get(http, f"{one}/api/v1/mailbox?wait=0", tokens[C]))[1]["items"] == []
    finally:
        for hub in hubs:
            await hub.stop()
