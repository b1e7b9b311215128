"""A stand-in for a unit's own system receiving webhooks: a real aiohttp server on loopback.

It checks the HMAC itself (with :mod:`hmac`, not the adapter's helper), deduplicates on
``X-Lienthong-Delivery`` as a real receiver should, and can be told to answer 5xx a few
times, a 4xx, a redirect, or a JSON status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET = "stand-in-shared-secret-0123456789"


@dataclass
class StandInReceiver:
    """What the unit's system saw, and how it will answer next."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)
    bad_signatures: int = 0
    fail_with: list[int] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    redirect_to: str | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers)
        self.requests.append({"headers": headers, "body": body})
        stamp = headers.get("X-Lienthong-Timestamp", "")
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(
            "sha256=" + mac.hexdigest(), headers.get("X-Lienthong-Signature", "")
        ):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.redirect_to is not None:
            return web.Response(status=307, headers={"Location": self.redirect_to})
        if self.fail_with:
            return web.Response(status=self.fail_with.pop(0), text="busy")
        self.accepted.setdefault(headers["X-Lienthong-Delivery"], body)
        if self.answer is not None:
            return web.json_response(self.answer)
        return web.Response(status=204)


@asynccontextmanager
async def stand_in_receiver() -> AsyncIterator[StandInReceiver]:
    """Run a :class:`StandInReceiver` on 127.0.0.1 (ephemeral port) for the block."""
    receiver = StandInReceiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    app.router.add_post("/moved", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


def as_json(body: bytes) -> Any:
    """Decode a JSON body."""
    return json.loads(body)
