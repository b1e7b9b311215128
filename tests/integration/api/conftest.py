"""A running hub behind a real HTTP server, on SQLite + local bus and PostgreSQL + RabbitMQ.

The world: a province office PROV with two districts A and B and a stranger C; a token for
each unit, one for an operator. Messages are sent by A to B unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.api.app import build_app
from tests.support.api_world import World, hub_config, start_world


@pytest.fixture(params=["sqlite+local", "postgresql+rabbitmq"])
def backends(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database url, bus url): embedded, then production-like."""
    if request.param == "sqlite+local":
        return request.getfixturevalue("sqlite_url"), "local://"
    return request.getfixturevalue("pg_url"), request.getfixturevalue("amqp_url")


@pytest.fixture
def hub_overrides() -> dict[str, Any]:
    """``[hub]`` settings for the test hub (parametrize this to change limits)."""
    return {}


@pytest.fixture
async def world(
    tmp_home: Path, backends: tuple[str, str], hub_overrides: dict[str, Any]
) -> AsyncIterator[World]:
    """A started hub with its API on an ephemeral port, on both backends."""
    hub, tokens = await start_world(hub_config(tmp_home, *backends, **hub_overrides))
    try:
        async with TestClient(TestServer(build_app(hub))) as client:
            yield World(hub, client, tokens)
    finally:
        await hub.stop()
