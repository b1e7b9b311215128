"""``lienthong send`` against a running hub under admission control (issue 27): the hub
answers 503 ``hub.overloaded`` with ``Retry-After`` while its one intake slot is held;
the CLI waits as asked, sends again with the same ``Idempotency-Key``, and the document
is accepted once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from support.hubproc import LIENTHONG, HubProcess
from support.livehub import A, B, live_home

pytestmark = [pytest.mark.slow]


async def _hold_the_slot(hub: HubProcess, token: str) -> asyncio.StreamWriter:
    """A submission whose body never comes: it holds the hub's only admission slot."""
    _, writer = await asyncio.open_connection("127.0.0.1", int(hub.port))
    writer.write(
        b"POST /api/v1/messages HTTP/1.1\r\nHost: hub\r\n"
        + f"Authorization: Bearer {token}\r\n".encode()
        + b"Content-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: 100000\r\n\r\n--b\r\n"
    )
    await writer.drain()
    await asyncio.sleep(0.3)  # its headers read: the slot is taken
    return writer


async def test_send_waits_out_the_overload_and_sends_once(tmp_path: Path, sqlite_url: str) -> None:
    """While the slot is held the hub answers 503 with Retry-After: 1; `lienthong send`
    started then says it waits, waits, exits 0, and B has the document once."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        config = live.home.root / "config.toml"
        text = config.read_text(encoding="utf-8")
        bounds = "[hub]\nmax_backlog = 0\nmax_inflight_submissions = 1\n"
        config.write_text(text.replace("[hub]\n", bounds, 1), encoding="utf-8")
        hub = await live.serve()
        holder = await _hold_the_slot(hub, live.tokens[A])
        refused = await live.send(hub, A, subject="bị từ chối")
        assert (refused.status, refused.code) == (503, "hub.overloaded"), refused
        assert refused.headers["Retry-After"] == "1"

        doc = tmp_path / "cong-van.txt"
        doc.write_text("Nội dung công văn", encoding="utf-8")
        env = live.home.env(LIENTHONG_URL=hub.url, LIENTHONG_TOKEN=live.tokens[A])
        started = time.monotonic()
        cli = await asyncio.create_subprocess_exec(
            LIENTHONG, "send", "--to", B, "--subject", "Gửi khi hub bận", str(doc),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.sleep(1.5)  # the CLI has met the 503 by now and waits
        holder.close()
        out, err = await asyncio.wait_for(cli.communicate(), timeout=60)
        assert cli.returncode == 0, err.decode()
        assert time.monotonic() - started >= 1.0
        assert "the hub is busy; retry 1 in 1." in err.decode(), err.decode()

        items = await live.request(hub, "GET", "/api/v1/mailbox?wait=5", who=B)
        subjects = [i["subject"] for i in items.json["items"] if i["kind"] == "document"]
        assert subjects == ["Gửi khi hub bận"], (subjects, out.decode())
