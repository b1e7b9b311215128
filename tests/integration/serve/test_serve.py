"""``lienthong serve`` wires everything: probes, metrics, console, axis API, adapters, SIGTERM.

The tests share one hub subprocess and run in file order; the last one stops it.
"""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from tests.support.served_hub import (
    AXIS_SYSTEM,
    B,
    C,
    D,
    RunningHub,
    edxml_from_b_to_c,
)


async def test_healthz_answers(running_hub: RunningHub) -> None:
    """/healthz is 200 with the serving process id."""
    async with aiohttp.ClientSession() as s, s.get(f"{running_hub.url}/healthz") as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["status"] == "ok" and body["pid"] == running_hub.proc.pid


async def test_readyz_lists_database_bus_and_adapters(running_hub: RunningHub) -> None:
    """/readyz is 200, checks database, bus and adapters, and details each adapter."""
    async with aiohttp.ClientSession() as s, s.get(f"{running_hub.url}/readyz") as resp:
        body = await resp.json()
    assert resp.status == 200, body
    assert body["checks"] == {"database": True, "bus": True, "adapters": True, "storage": True}
    assert set(body["adapters"]) == {f"folder:{B}", "axis:000.00.01.H01"}
    assert body["adapters"][f"folder:{B}"]["breaker"] == "closed"


async def test_console_login_page(running_hub: RunningHub) -> None:
    """The console is mounted: its login page answers 200."""
    async with aiohttp.ClientSession() as s, s.get(f"{running_hub.url}/console/login") as resp:
        assert resp.status == 200
        assert "text/html" in resp.headers["Content-Type"]


async def test_axis_routes_are_mounted(running_hub: RunningHub) -> None:
    """/axis/oauth/token refuses a wrong secret (401 axis.invalid_client), takes the right one."""
    url = f"{running_hub.url}/axis/oauth/token"
    form = {"grant_type": "client_credentials", "client_id": AXIS_SYSTEM}
    async with aiohttp.ClientSession() as s:
        async with s.post(url, data={**form, "client_secret": "x" * 40}) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["code"] == "axis.invalid_client"
        async with s.post(url, data={**form, "client_secret": running_hub.secret}) as resp:
            assert resp.status == 200
            assert (await resp.json())["token_type"] == "Bearer"


async def test_folder_drop_reaches_the_recipients_mailbox(running_hub: RunningHub) -> None:
    """An edXML file dropped in B's in/ is taken by the hub and appears in C's mailbox."""
    inbox = running_hub.drop / "in"
    (inbox / "cv-serve.edxml.tmp").write_bytes(edxml_from_b_to_c())
    (inbox / "cv-serve.edxml.tmp").rename(inbox / "cv-serve.edxml")
    async with aiohttp.ClientSession() as s:
        item = await running_hub.wait_item(s, C)
    assert item["sender"] == B
    assert (running_hub.drop / "processed" / "cv-serve.edxml").exists()


async def test_document_for_the_folder_unit_is_written_out(running_hub: RunningHub) -> None:
    """The adapter runner pushes a document sent to B into B's out/ folder."""
    async with aiohttp.ClientSession() as s:
        message_id = await running_hub.send(s, C, B)
    target = running_hub.drop / "out" / f"{message_id}.xml"
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert target.exists(), running_hub.log.read_text()[-3000:]


async def test_metrics_after_a_document_is_acknowledged(running_hub: RunningHub) -> None:
    """/metrics shows the delivery states and the receipt latency once D answered 03."""
    async with aiohttp.ClientSession() as s:
        message_id = await running_hub.send(s, C, D)
        await running_hub.wait_item(s, D, message_id)
        async with s.post(
            f"{running_hub.url}/api/v1/messages/{message_id}/receipts",
            json={"status": "03"},
            headers=running_hub.auth(D),
        ) as resp:
            assert resp.status == 201, await resp.text()
        async with s.get(f"{running_hub.url}/metrics") as resp:
            text = await resp.text()
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain")
    assert re.search(rf'^lienthong_deliveries\{{[^}}]*unit="{D}"[^}}]*\}} 1\.0$', text, re.M)
    count = re.search(r'^lienthong_receipt_latency_seconds_count\{status="03"\} (\S+)$', text, re.M)
    assert count and float(count.group(1)) >= 1.0, text


def test_sigterm_stops_the_hub_with_status_0(running_hub: RunningHub) -> None:
    """SIGTERM drains and exits 0, logging hub.stopped."""
    assert running_hub.stop() == 0
    assert '"hub.stopped"' in running_hub.log.read_text()
