"""``lienthong serve``: run the hub — HTTP API, relay, mailbox consumers — until a signal.

With no config at all this is the embedded default: SQLite in the home and the local bus.
SIGTERM or SIGINT shut down gracefully: the listener closes, in-flight requests finish,
the consumers stop taking messages and finish the ones they hold, the relay flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from collections.abc import Callable
from typing import Any

import click
import structlog
from aiohttp import web

from gateway.cli.common import CliContext, pass_cli, run
from gateway.config import Config
from gateway.errors import ConfigError
from gateway.hub import Hub
from gateway.logging import configure_logging

__all__ = ["build_web_app", "command", "parse_listen", "serve"]

log = structlog.get_logger("gateway.serve")


@click.command("serve")
@click.option("--log-format", type=click.Choice(["json", "console"]), default="json")
@click.option("--log-level", default="INFO", show_default=True)
@pass_cli
def command(cli: CliContext, log_format: str, log_level: str) -> None:
    """Run the hub: HTTP API, relay and mailbox consumers, until SIGTERM/SIGINT."""
    configure_logging(level=log_level, json=log_format == "json")
    run(serve(cli.config))


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) → (host, port); ``config.invalid`` otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"hub.listen {listen!r} is not host:port", code="config.invalid")
    return host.strip("[]") or "127.0.0.1", int(port)


def build_web_app(hub: Hub) -> web.Application | None:
    """The API app from ``gateway.api.app.build_app`` (plus the console if present)."""
    try:
        api: Any = importlib.import_module("gateway.api.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("gateway.api.app",):
            raise
        return None
    app: web.Application = api.build_app(hub)
    try:
        console: Any = importlib.import_module("gateway.console")
    except ModuleNotFoundError as exc:
        if exc.name != "gateway.console":
            raise
        return app
    if hasattr(console, "setup_console"):
        console.setup_console(app, hub)
    return app


async def serve(
    config: Config,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the hub until ``stop`` is set or a SIGTERM/SIGINT arrives."""
    stop = stop or asyncio.Event()
    _install_signals(stop)
    hub = Hub(config)
    await hub.start()
    runner: web.AppRunner | None = None
    try:
        runner, address = await _start_http(hub, config)
        log.info("hub.serving", listen=address, unit=config.hub.unit_code)
        if on_ready is not None:
            on_ready(address)
        await stop.wait()
        log.info("hub.stopping")
    finally:
        if runner is not None:
            await runner.cleanup()
        await hub.stop()
        log.info("hub.stopped")


async def _start_http(hub: Hub, config: Config) -> tuple[web.AppRunner | None, str]:
    app = build_web_app(hub)
    if app is None:
        log.warning("hub.no_http_api", reason="gateway.api.app is not available")
        return None, "(no HTTP API)"
    host, port = parse_listen(config.hub.listen)
    runner = web.AppRunner(app, shutdown_timeout=10.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, _bound_address(runner, f"{host}:{port}")


def _bound_address(runner: web.AppRunner, fallback: str) -> str:
    for addr in runner.addresses:
        if isinstance(addr, tuple) and len(addr) >= 2:
            return f"{addr[0]}:{addr[1]}"
    return fallback


def _install_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
