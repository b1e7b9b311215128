"""Requests aiohttp's HTTP parser refuses before any handler runs, sent as raw bytes to a
running ``lienthong serve``: each gets the hub's JSON error with a stable code (not
aiohttp's plain-text page), nothing changes, no traceback is logged, and the hub serves on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from support.hubproc import HubHome, HubProcess

pytestmark = pytest.mark.integration

A = "000.00.01.H01"


@pytest.fixture
async def served(tmp_path: Path, sqlite_url: str) -> AsyncIterator[tuple[HubHome, HubProcess]]:
    home = HubHome(tmp_path / "home", database_url=sqlite_url, bus_url="local://")
    home.provision({A: "Huyện A"}, keys=False)
    hub = home.process()
    await hub.start()
    try:
        yield home, hub
    finally:
        await hub.stop()


async def _raw(hub: HubProcess, data: bytes) -> tuple[int, str, dict[str, object]]:
    """Send ``data`` exactly; the status, Content-Type and JSON body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
    try:
        writer.write(data)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), json.loads(body)


async def _mailbox(hub: HubProcess, token: str) -> tuple[int, list[object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{hub.url}/api/v1/mailbox", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        return r.status, (await r.json())["items"]


CASES = [
    # (what, raw request, status, code)
    ("a URL longer than the request line allows",
     b"GET /api/v1/messages?q=" + b"x" * 10_000 + b" HTTP/1.1\r\nHost: hub\r\n\r\n",
     431, "request.bad_header"),
    ("a header longer than allowed",
     b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Long: " + b"y" * 10_000 + b"\r\n\r\n",
     431, "request.bad_header"),
    ("a request line that is not HTTP",
     b"HELLO THERE\r\n\r\n", 400, "request.malformed"),
    ("a method with a control character",
     b"G\x01T / HTTP/1.1\r\nHost: hub\r\n\r\n", 400, "request.malformed"),
    ("a chunked body whose chunk size is not hex",
     b"POST /api/v1/messages HTTP/1.1\r\nHost: hub\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
     400, "request.malformed"),
    ("both Content-Length and chunked",
     b"POST /api/v1/messages HTTP/1.1\r\nHost: hub\r\nContent-Length: 3\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "request.malformed"),
]  # fmt: skip


async def test_unparsable_requests_get_a_typed_json_error(
    served: tuple[HubHome, HubProcess],
) -> None:
    """Each unparsable request: its status, a JSON error with a stable code that echoes
    none of the caller's bytes; the hub answers the next request normally, nothing was
    stored, and its log holds no traceback."""
    home, hub = served
    for what, raw, status, code in CASES:
        got_status, content_type, body = await _raw(hub, raw)
        assert got_status == status, (what, body)
        assert content_type.startswith("application/json"), (what, content_type)
        assert body["error"]["code"] == code, (what, body)  # type: ignore[index]
        assert "x" * 100 not in json.dumps(body) and "y" * 100 not in json.dumps(body)
        assert await _mailbox(hub, home.tokens[A]) == (200, []), what
    log = hub.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "http.unparsable" in log
