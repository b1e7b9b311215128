"""The fixtures of the served worlds, shared by the API, axis and hostile HTTP suites
(their conftests import them from here): a hub on SQLite + local bus and on PostgreSQL +
RabbitMQ, with its API (``world``) or its API and axis offices (``axis_world``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.api.app import build_app
from tests.standins.office import StandInOffice
from tests.support import api_world
from tests.support.api_world import World, start_world
from tests.support.axis_world import (
    PROV,
    A,
    AxisWorld,
    B,
    C,
    axis_entry,
    secret_file,
    served_hub,
)
from tests.support.axis_world import hub_config as axis_hub_config

__all__ = ["axis_world", "backends", "hub_overrides", "world"]


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
    hub, tokens = await start_world(api_world.hub_config(tmp_home, *backends, **hub_overrides))
    try:
        async with TestClient(TestServer(build_app(hub))) as client:
            yield World(hub, client, tokens)
    finally:
        await hub.stop()


@pytest.fixture
async def axis_world(
    tmp_home: Path, tmp_path: Path, backends: tuple[str, str]
) -> AsyncIterator[AxisWorld]:
    """A served hub with offices A, B, C connected over the axis API."""
    entries, keys = [], {}
    for unit, system in ((A, "office-a"), (B, "office-b"), (C, "office-c")):
        path, keys[unit] = secret_file(tmp_path, system)
        entries.append(axis_entry(unit, system, path))
    units = [(PROV, "Văn phòng tỉnh", None)] + [
        (code, f"Huyện {code[7]}", PROV) for code in (A, B, C)
    ]
    async with served_hub(axis_hub_config(tmp_home, *backends, entries), units) as (hub, url):
        world = AxisWorld(hub, url, secrets=keys)
        for unit, system in ((A, "office-a"), (B, "office-b"), (C, "office-c")):
            world.offices[unit] = StandInOffice(
                url, system_id=system, secret=keys[unit], unit=unit, name=f"Huyện {unit[7]}"
            )
        try:
            yield world
        finally:
            for office in world.offices.values():
                await office.close()
