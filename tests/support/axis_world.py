"""A hub serving its API and the axis API on a loopback port, with stand-in office systems.

The world: a province office PROV with districts A, B and C, each running a stand-in
office system registered as an axis system (secret files in the test's tmp dir, mode 0600).
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiohttp import web

from adapters.axis import setup_axis_routes
from gateway.api.app import build_app
from gateway.config import AdapterConfig, BusConfig, Config, DatabaseConfig, load_config
from gateway.hub import Hub
from tests.standins.office import StandInOffice

PROV, A, B, C = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01", "000.00.03.H01"


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secret_file(directory: Path, name: str) -> tuple[Path, str]:
    """A fresh secret in a 0600 file outside the repository."""
    secret = secrets.token_urlsafe(32)
    path = directory / f"{name}.secret"
    path.write_text(secret)
    path.chmod(0o600)
    return path, secret


def axis_entry(unit: str, system_id: str, path: Path, **extra: object) -> AdapterConfig:
    """An ``[[adapters]] name = "axis"`` entry."""
    return AdapterConfig("axis", unit, {"system_id": system_id, "secret_file": str(path), **extra})


def hub_config(home: Path, db_url: str, bus_url: str, adapters: list[AdapterConfig]) -> Config:
    """A config for a test hub in ``home``."""
    cfg = load_config(home, env={})
    return replace(
        cfg,
        database=DatabaseConfig(url=db_url),
        bus=BusConfig(url=bus_url),
        adapters=tuple(adapters),
    )


@asynccontextmanager
async def served_hub(
    config: Config,
    units: list[tuple[str, str, str | None]],
    port: int | None = None,
    host: str = "127.0.0.1",
) -> AsyncIterator[tuple[Hub, str]]:
    """Start a hub with ``units`` (code, name, parent), serve API + axis; (hub, base url)."""
    hub = Hub(config)
    await hub.start()
    runner: web.AppRunner | None = None
    try:
        for code, name, parent in units:
            await hub.directory.add(code, name, parent)
        await hub.consumers.sync()
        app = build_app(hub)
        setup_axis_routes(app, hub)
        runner = web.AppRunner(app)
        await runner.setup()
        port = port or free_port()
        await web.TCPSite(runner, host, port).start()
        yield hub, f"http://{host}:{port}"
    finally:
        if runner is not None:
            await runner.cleanup()
        await hub.stop()


@dataclass
class AxisWorld:
    """The hub, its base URL and an office system per district."""

    hub: Hub
    url: str
    offices: dict[str, StandInOffice] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
