"""A unit's web mailbox at ``/mailbox``: a clerk with only a browser receives, reads,
answers, sends and follows documents, and keeps the registers (issue 30).

Server-rendered like the console (:mod:`gateway.console`, whose session, CSRF and
language helpers it reuses), no build step, Vietnamese by default and English.
``setup_mailbox(app, hub)`` adds the pages, the static files and the security headers to
the aiohttp application that serves the API; every action on a document is authorised
by the hub facade as the logged-in unit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.webmailbox import (
    views_auth,
    views_notices,
    views_receive,
    views_registers,
    views_send,
)
from gateway.webmailbox.context import CODEC, FAILURES, HUB, TEMPLATES, MailboxHub
from gateway.webmailbox.session import PATH, MailboxCodec

__all__ = ["CSP", "setup_mailbox"]

HERE = Path(__file__).parent
#: As the console's, and PDFs of the mailbox itself may be framed (the preview).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def setup_mailbox(app: web.Application, hub: MailboxHub) -> None:
    """Mount the mailbox on ``app`` (the hub must expose the facade, db and directory)."""
    app[HUB] = hub
    app[CODEC] = MailboxCodec.for_home(hub.config.home)
    app[FAILURES] = FailureLimiter()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        app_key=TEMPLATES,
    )
    for module in (views_auth, views_receive, views_notices, views_send, views_registers):
        app.router.add_routes(module.routes)
    app.router.add_static(f"{PATH}/static", HERE / "static", append_version=False)
    app.middlewares.append(mailbox_headers)


@web.middleware
async def mailbox_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Strict CSP, no framing (but a PDF preview by its own page), no sniffing."""
    response = await handler(request)
    if request.path == PATH or request.path.startswith(PATH + "/"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response
