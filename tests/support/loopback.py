"""Serve an aiohttp application on a free loopback port (stand-ins for outside systems)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

__all__ = ["served_app"]


@asynccontextmanager
async def served_app(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 at a port the OS picks; yield its base URL (ending ``/``)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()
