"""The API test world (``tests/integration/api/conftest.py``) on a config of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from gateway.api.app import build_app
from gateway.config import Config
from gateway.console import setup_console
from tests.integration.api.conftest import World, start_world

__all__ = ["served_world"]


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
