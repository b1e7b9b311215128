"""A live hub (SQLite + local bus) with units, tokens and documents, served over HTTP.

Used by the console tests (HTTP and browser). Everything is real: the hub, its API, the
console; only the clock of due dates is set in the past to make documents overdue.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.api.app import build_app
from gateway.config import load_config
from gateway.console import setup_console
from gateway.directory.principal import Principal
from gateway.hub import Hub

PROVINCE = "000.00.00.H01"
DISTRICTS = ("000.00.01.H01", "000.00.02.H01")
COMMUNES = ("000.01.01.H01", "000.01.02.H01", "000.02.01.H01")


@dataclass
class SeededHub:
    """The running hub, its URL, the operator token and the ids of seeded documents."""

    hub: Hub
    url: str
    operator_token: str
    documents: dict[str, str] = field(default_factory=dict)

    def unit(self, code: str) -> Principal:
        """A unit principal (for acting through the facade as that unit)."""
        return Principal(unit=code)


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _send(hub: Hub, sender: str, to: list[str], subject: str, **meta: Any) -> str:
    ref = await hub.blobs.put_bytes(f"{subject}\n".encode() * 50)
    from gateway.pipeline.document import UploadedFile

    files = [UploadedFile("van-ban.txt", "text/plain", ref.sha256, ref.size)]
    result = await hub.submit_document(
        Principal(unit=sender), {"to": to, "subject": subject, **meta}, files
    )
    return result.message_id


async def _wait_delivered(hub: Hub, message_id: str) -> None:
    """Each recipient fetches its mailbox (long-poll) until the document is there."""
    status = await hub.messages.status(message_id)
    for recipient in status.recipients:
        # the long-poll returns at once when other items are pending, so pace the loop
        for _ in range(300):
            items = await hub.mailbox(Principal(unit=recipient.unit), wait=1.0, limit=100)
            if any(i["message_id"] == message_id for i in items):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"{message_id} never reached {recipient.unit}")
    await asyncio.sleep(0)


async def seed(hub: Hub) -> dict[str, str]:
    """Units, and three documents: completed, overdue (in progress), rejected."""
    await hub.directory.add(PROVINCE, "Hội Nông dân tỉnh An Giang")
    for code in DISTRICTS:
        await hub.directory.add(code, f"Hội Nông dân huyện {code[7:9]}", PROVINCE)
    for code in COMMUNES:
        await hub.directory.add(code, f"Hội Nông dân xã {code}", f"000.00.{code[4:6]}.H01")
    await hub.consumers.sync()  # mailboxes for the units just added, without waiting a tick
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    docs = {
        "done": await _send(hub, PROVINCE, [DISTRICTS[0]], "Kế hoạch tuyên truyền năm 2026"),
        "overdue": await _send(
            hub, PROVINCE, [DISTRICTS[0], DISTRICTS[1]], "Báo cáo quý <b>IV</b>", due_date=past
        ),
        "rejected": await _send(hub, DISTRICTS[1], [COMMUNES[2]], "Công văn số 12/HND-VP"),
    }
    for message_id in docs.values():
        await _wait_delivered(hub, message_id)
    d0 = Principal(unit=DISTRICTS[0])
    for status in ("01", "03", "04", "05", "06"):
        await hub.post_receipt(d0, docs["done"], status=status)
    await hub.post_receipt(d0, docs["overdue"], status="01")
    await hub.post_receipt(Principal(unit=COMMUNES[2]), docs["rejected"], status="02",
                           reason="Sai nơi nhận")  # fmt: skip
    return docs


@asynccontextmanager
async def seeded_hub(home: Path) -> AsyncIterator[SeededHub]:
    """Start a hub in ``home``, seed it, serve API + console on a free port."""
    hub = Hub(load_config(home=home, env={}))
    await hub.start()
    runner: web.AppRunner | None = None
    try:
        docs = await seed(hub)
        token = await hub.directory.create_token(operator="tester")
        app = build_app(hub)
        setup_console(app, hub)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield SeededHub(hub, f"http://localhost:{port}", token, docs)
    finally:
        if runner is not None:
            await runner.cleanup()
        await hub.stop()
