"""The external targets of overdue notices, real over their protocols: an SMTP server
(aiosmtpd) and a webhook receiver over HTTP that checks the HMAC signature."""

from __future__ import annotations

import email
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller

from gateway.config import DeadlinesConfig
from gateway.deadlines.channels import EVENT_HEADER, SIGNATURE_HEADER, verify


@dataclass
class Inbox:
    """An SMTP handler keeping what it was sent; ``on_data`` runs (once) before it answers."""

    mails: list[email.message.Message] = field(default_factory=list)
    on_data: Callable[[], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(email.message_from_bytes(envelope.content))
        hook, self.on_data = self.on_data, None
        if hook is not None:
            hook()
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on an ephemeral port: its inbox and port."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class Post:
    """One webhook POST as received: its JSON, event header and whether it was signed
    right under the receiver's secret."""

    body: dict[str, Any]
    event: str
    signed: bool
    valid: bool


@dataclass
class Hooks:
    """What the webhook receiver got, and its URL."""

    posts: list[Post]
    url: str


@asynccontextmanager
async def webhook_receiver(secret: bytes | None = None) -> AsyncIterator[Hooks]:
    """A webhook receiver over HTTP, verifying ``X-Lienthong-Signature`` with ``secret``
    over the raw body (401 when it does not match, as a real receiver would)."""
    posts: list[Post] = []

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        header = request.headers.get(SIGNATURE_HEADER, "")
        valid = secret is not None and verify(secret, raw, header)
        posts.append(
            Post(json.loads(raw), request.headers.get(EVENT_HEADER, ""), bool(header), valid)
        )
        return web.Response(status=204 if valid or secret is None else 401)

    app = web.Application()
    app.router.add_post("/hook", receive)
    async with TestServer(app) as server:
        yield Hooks(posts, str(server.make_url("/hook")))


def due_at_once(smtp_port: int, webhook_url: str, **more: Any) -> DeadlinesConfig:
    """``[deadlines]`` for a test: documents due at once, told by webhook and mail, passes
    only when a test calls them."""
    return DeadlinesConfig(
        received="0h",
        completed="0h",
        check_seconds=0,
        webhook_url=webhook_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        mail_from="lienthong@hub.example",
        mail_to="vanthu@prov.example",
        **more,
    )
