"""The operators' web console at ``/console`` (server-rendered, no build step).

``setup_console(app, hub)`` adds the pages, the static files and the security headers
to an aiohttp application that already serves the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.console.context import CODEC, DATA, HUB, NAMES, STOP, ConsoleHub
from gateway.console.data import ConsoleData
from gateway.console.people import UnitNames
from gateway.console.session import SessionCodec
from gateway.console.views import error_page, routes
from gateway.console.views_dashboard import routes as dashboard_routes
from gateway.console.views_units import routes as unit_change_routes
from gateway.errors import GatewayError

__all__ = ["CSP", "setup_console"]

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def setup_console(app: web.Application, hub: ConsoleHub) -> None:
    """Mount the console on ``app``; it reaches the hub only through ``hub``'s checked
    methods (:class:`gateway.console.facade.ConsoleHub`)."""
    app[HUB] = hub
    app[DATA] = ConsoleData(hub)
    app[CODEC] = SessionCodec.from_home(hub.config.home)
    app[STOP] = asyncio.Event()
    app[NAMES] = UnitNames()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )
    app.router.add_routes(routes)
    app.router.add_routes(dashboard_routes)
    app.router.add_routes(unit_change_routes)
    app.router.add_static("/console/static", HERE / "static", append_version=False)
    app.middlewares.append(console_headers)
    app.middlewares.append(console_errors)
    app.on_shutdown.append(_stop_streams)


async def _stop_streams(app: web.Application) -> None:
    app[STOP].set()


@web.middleware
async def console_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Strict CSP and no framing or sniffing on every console response."""
    response = await handler(request)
    if request.path.startswith("/console"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@web.middleware
async def console_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A typed error on a console page is a page in the reader's language (the API keeps
    its JSON errors)."""
    try:
        return await handler(request)
    except GatewayError as exc:
        if not request.path.startswith("/console") or request.path == "/console/events":
            raise
        return error_page(request, exc)
