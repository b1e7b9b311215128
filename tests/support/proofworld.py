"""The API test world (``tests/integration/api/conftest.py``) on a config of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from gateway.api.app import build_app
from gateway.config import Config
from gateway.console import setup_console
from tests.support.api_world import World, start_world

__all__ = ["console_pages", "served_world"]


@asynccontextmanager
async def served_world(config: Config, *, console: bool = False) -> AsyncIterator[World]:
    """A started hub on ``config`` with its API (and the console) on an ephemeral port."""
    hub, tokens = await start_world(config)
    try:
        app = build_app(hub)
        if console:
            setup_console(app, hub)
        async with TestClient(TestServer(app)) as client:
            yield World(hub, client, tokens)
    finally:
        await hub.stop()


@asynccontextmanager
async def console_pages(world: World) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Log in to the world's console as its operator; yields ``page(path) -> HTML``."""
    base = str(world.client.make_url("")).rstrip("/")
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        token = world.tokens["operator"]
        async with browser.post(f"{base}/console/login", data={"token": token}) as login:
            assert login.status == 200

        async def page(path: str) -> str:
            async with browser.get(base + path) as r:
                assert r.status == 200
                return await r.text()

        yield page
