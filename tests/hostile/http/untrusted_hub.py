"""A hub served on a loopback port the way ``lienthong serve`` serves it (API, axis, console),
and the tools the hostile HTTP tests use on it: raw requests and a state snapshot.

The world: a province office PROV with districts A and B; a token for each, one for an
operator, and an axis office system for A (``office-a``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from adapters.axis import setup_axis_routes
from adapters.axis.signing import signed_headers
from gateway.api.app import build_app
from gateway.config import AdapterConfig, BusConfig, Config, DatabaseConfig, load_config
from gateway.console import setup_console
from gateway.hub import Hub
from gateway.store.models import MailboxItemRow, MessageRow, ReceiptRow

PROV, A, B = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01"
AXIS_SYSTEM = "office-a"


@dataclass(frozen=True)
class Answer:
    """A response: status, headers (lower-case names) and the JSON body (or ``{}``)."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def code(self) -> str | None:
        """The error code of a JSON error body."""
        error = self.body.get("error")
        return error.get("code") if isinstance(error, dict) else None


@dataclass(frozen=True)
class Snapshot:
    """What a refused request must not change."""

    messages: int
    receipts: int
    mailbox: int
    blobs: frozenset[str]


@dataclass
class HostileHub:
    """The served hub, its base URL, tokens and the axis secret."""

    hub: Hub
    url: str
    port: int
    tokens: dict[str, str] = field(default_factory=dict)
    axis_secret: str = ""

    def auth(self, who: str) -> dict[str, str]:
        """An Authorization header for ``who`` (a unit code or "operator")."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def axis_signed(self, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        """The four headers of a correctly signed axis request from A's office system."""
        return signed_headers(AXIS_SYSTEM, self.axis_secret, method, path, body)

    async def snapshot(self) -> Snapshot:
        """Rows and blob files now."""
        async with self.hub.db.read() as session:
            counts = [
                (await session.execute(select(func.count()).select_from(row))).scalar_one()
                for row in (MessageRow, ReceiptRow, MailboxItemRow)
            ]
        root = self.hub.blobs.root
        blobs = frozenset(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
        return Snapshot(*counts, blobs=frozenset(blobs))

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: Any = None,
        json_body: Any = None,
    ) -> Answer:
        """One request through aiohttp's client."""
        async with (
            aiohttp.ClientSession() as client,
            client.request(
                method, self.url + path, headers=headers, data=data, json=json_body
            ) as resp,
        ):
            raw = await resp.read()
            return Answer(resp.status, _lower(resp.headers), _json(raw))

    async def raw(self, head: bytes, body: bytes = b"", timeout: float = 10.0) -> Answer:
        """Send ``head`` (request line and headers, no final blank line) and ``body`` as
        bytes, exactly; read the whole answer."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(head.rstrip(b"\r\n") + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
            data = await asyncio.wait_for(_read_answer(reader), timeout)
        finally:
            writer.close()
        return _parse_answer(data)

    async def send(self, subject: str = "Công văn", content: bytes = b"noi dung") -> str:
        """A document from A to B; its id."""
        form = aiohttp.FormData()
        form.add_field("metadata", json.dumps({"to": [B], "subject": subject}))
        form.add_field("file", content, filename="bao-cao.pdf", content_type="application/pdf")
        answer = await self.request("POST", "/api/v1/messages", headers=self.auth(A), data=form)
        assert answer.status == 202, answer
        return str(answer.body["id"])

    async def pending(self, unit: str) -> list[dict[str, Any]]:
        """``unit``'s mailbox (waits up to 5 s for a first item)."""
        answer = await self.request("GET", "/api/v1/mailbox?wait=5", headers=self.auth(unit))
        assert answer.status == 200, answer
        items: list[dict[str, Any]] = answer.body["items"]
        return items


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head + (await reader.readexactly(length) if length else b"")


def _parse_answer(data: bytes) -> Answer:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(lines[0].split()[1]), headers, _json(body))


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def b64(value: Any) -> str:
    """JSON ``value`` as unpadded base64url (cursor and token payloads)."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(home: Path, db_url: str, bus_url: str, secret_path: Path) -> Config:
    cfg = load_config(home, env={})
    axis = AdapterConfig("axis", A, {"system_id": AXIS_SYSTEM, "secret_file": str(secret_path)})
    return replace(
        cfg,
        database=DatabaseConfig(url=db_url),
        bus=BusConfig(url=bus_url),
        adapters=(axis,),
    )


@asynccontextmanager
async def hostile_hub(home: Path, db_url: str, bus_url: str) -> AsyncIterator[HostileHub]:
    """A started hub with the API, the axis API and the console on a loopback port."""
    secret = secrets.token_urlsafe(32)
    secret_path = home.parent / "office-a.secret"
    secret_path.write_text(secret)
    secret_path.chmod(0o600)
    hub = Hub(_config(home, db_url, bus_url, secret_path))
    await hub.start()
    runner: web.AppRunner | None = None
    try:
        await hub.directory.add(PROV, "Văn phòng tỉnh")
        for code, name in ((A, "Huyện A"), (B, "Huyện B")):
            await hub.directory.add(code, name, PROV)
        await hub.consumers.sync()
        tokens = {code: await hub.directory.create_token(unit=code) for code in (A, B)}
        tokens["operator"] = await hub.directory.create_token(operator="ops")
        app = build_app(hub)
        setup_axis_routes(app, hub)
        setup_console(app, hub)
        runner = web.AppRunner(app)
        await runner.setup()
        port = _free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield HostileHub(hub, f"http://127.0.0.1:{port}", port, tokens, secret)
    finally:
        if runner is not None:
            await runner.cleanup()
        await hub.stop()
