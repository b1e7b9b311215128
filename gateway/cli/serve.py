"""``lienthong serve``: run the hub — HTTP API, console, axis API, relay, consumers, adapters.

With no config at all this is the embedded default: SQLite in the home and the local bus.
One process serves:

- the HTTP API, the probes (``/healthz``, ``/readyz``, ``/metrics``) and the console;
- the axis API (``/axis/…``) when ``[[adapters]] name = "axis"`` entries register systems;
- the adapter runner (``[[adapters]]`` that push or poll) and, for ``upstream`` entries
  (``federate``), one :class:`adapters.upstream.UpstreamLink` each;
- TLS when ``[hub] tls_cert`` and ``tls_key`` are set (client certificates from the hub CA
  then authenticate units).

``--workers N`` (or ``[hub] workers``) runs N such processes on one port
(:mod:`gateway.cli.serve_workers`). SIGTERM or SIGINT shut down gracefully: the listener
closes, in-flight requests finish, adapters finish their current item, the consumers stop
taking messages and finish the ones they hold, the relay flushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import signal
import ssl
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import structlog
from aiohttp import web

from adapters.runner import AdapterRunner
from gateway.api.protocol_errors import answer_in_json
from gateway.cli.common import CliContext, parse_listen, pass_cli, run
from gateway.cli.serve_workers import serve_workers
from gateway.config import Config
from gateway.errors import ConfigError
from gateway.hub import Hub, build_hub
from gateway.logging import configure_logging

__all__ = [
    "GC_THRESHOLDS",
    "build_web_app",
    "command",
    "lifetimes",
    "parse_listen",
    "serve",
    "settle_garbage_collector",
    "tls_context",
    "worker_main",
]

log = structlog.get_logger("gateway.serve")


@click.command("serve")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Hub processes sharing the port (SO_REUSEPORT); default [hub] workers.",
)
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Address to listen on (e.g. 0.0.0.0:8480); default [hub] listen.",
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "console"]),
    default="json",
    help="json: one JSON object per line; console: coloured, for people.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="The least severe level logged.",
)
@pass_cli
def command(
    cli: CliContext, workers: int | None, listen: str | None, log_format: str, log_level: str
) -> None:
    """Run the hub: HTTP API, console, relay, consumers and adapters, until SIGTERM/SIGINT."""
    configure_logging(level=log_level, json=log_format == "json")
    config = cli.config
    if listen is not None:
        parse_listen(listen)
        config = replace(config, hub=replace(config.hub, listen=listen))
    count = workers if workers is not None else config.hub.workers
    if count > 1:
        workers_exit = serve_workers(
            config, count, worker_main, log_format=log_format, log_level=log_level
        )
        sys.exit(workers_exit)
    run(serve(config))


def worker_main(config: Config, log_format: str, log_level: str) -> None:
    """One worker process of ``--workers N``: a whole hub on the shared port."""
    configure_logging(level=log_level, json=log_format == "json")
    run(serve(config, reuse_port=True))


def build_web_app(hub: Hub, runner: AdapterRunner | None = None) -> web.Application | None:
    """The API app (``gateway.api.app``), the console, and the axis API for its systems."""
    try:
        api: Any = importlib.import_module("gateway.api.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("gateway.api.app",):
            raise
        return None
    app: web.Application = api.build_app(hub)
    from gateway.api.admission import ADMISSION

    app[ADMISSION] = hub.admission  # the API's door takes the submissions' slots
    _mount_axis(app, hub, runner)
    try:
        console: Any = importlib.import_module("gateway.console")
    except ModuleNotFoundError as exc:
        if exc.name != "gateway.console":
            raise
        return app
    if hasattr(console, "setup_console"):
        console.setup_console(app, hub)
    _mount_mailbox(app, hub)
    return app


def _mount_mailbox(app: web.Application, hub: Hub) -> None:
    """``/mailbox``: the web mailbox of units without an office system (issue 30)."""
    from gateway.webmailbox import setup_mailbox

    setup_mailbox(app, hub)


def _mount_axis(app: web.Application, hub: Hub, runner: AdapterRunner | None) -> None:
    """``/axis/…`` for the office systems the ``axis`` adapter entries registered."""
    from adapters.axis import AxisAdapter, AxisSystems, setup_axis_routes

    slots = runner.build() if runner is not None else []
    systems = [s.adapter.system for s in slots if isinstance(s.adapter, AxisAdapter)]
    if systems:
        setup_axis_routes(app, hub, AxisSystems(systems))
        log.info("hub.axis_mounted", systems=len(systems))


def tls_context(config: Config, ca: Path) -> ssl.SSLContext | None:
    """The listener's TLS context from ``[hub] tls_cert``/``tls_key``; ``None`` for HTTP."""
    cert, key = config.hub.tls_cert, config.hub.tls_key
    if not cert and not key:
        return None
    if not (cert and key):
        raise ConfigError("[hub] tls_cert and tls_key go together", code="config.invalid")
    from gateway.api.tls import server_ssl_context

    paths = [config.home / p for p in (cert, key)]  # relative paths: below the home
    try:
        return server_ssl_context(paths[0], paths[1], ca)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"[hub] TLS files unusable: {exc}", code="config.invalid") from exc


async def serve(
    config: Config,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
    reuse_port: bool = False,
) -> None:
    """Run the hub until ``stop`` is set or a SIGTERM/SIGINT arrives.

    Everything is built first (:func:`gateway.hub.build_hub`, the adapters: config errors
    before anything starts); the app's ``cleanup_ctx`` (:func:`lifetimes`) then starts the
    hub, the adapters and the upstream links in that order and stops them in reverse,
    after the listener closed and the requests in flight finished.
    """
    stop = stop or asyncio.Event()
    _install_signals(stop)
    hub = build_hub(config)
    adapters = AdapterRunner(hub, config.adapters)
    links = _upstream_links(hub, adapters)  # builds every adapter: config errors first
    app = build_web_app(hub, adapters)
    if app is None:
        log.warning("hub.no_http_api", reason="gateway.api.app is not available")
    runner = web.AppRunner(app or web.Application(), shutdown_timeout=10.0, access_log=None)
    runner.app.cleanup_ctx.extend(lifetimes(hub, adapters, links))
    try:
        await runner.setup()
        answer_in_json(runner)
        address = "(no HTTP API)"
        if app is not None:
            address = await _listen(runner, hub, config, reuse_port=reuse_port)
        log.info(
            "hub.serving", listen=address, unit=config.hub.unit_code, adapters=len(adapters.slots)
        )
        if on_ready is not None:
            on_ready(address)
        await stop.wait()
        log.info("hub.stopping")
    finally:
        await runner.cleanup()


Lifetime = Callable[[web.Application], AsyncIterator[None]]


def lifetimes(hub: Hub, adapters: AdapterRunner, links: list[Any]) -> list[Lifetime]:
    """The app's ``cleanup_ctx``: the hub, then the adapters, then the upstream links
    (stopped in reverse: links, adapters, then the hub drains)."""

    async def hub_lifetime(_app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        settle_garbage_collector()
        hub.adapter_health = adapters.health
        yield
        hub.adapter_health = None
        await hub.stop()
        log.info("hub.stopped")

    async def adapters_lifetime(_app: web.Application) -> AsyncIterator[None]:
        await adapters.start()
        yield
        await adapters.stop()

    async def links_lifetime(_app: web.Application) -> AsyncIterator[None]:
        for link in links:
            link.start()
        yield
        for link in links:
            await link.stop()

    return [hub_lifetime, adapters_lifetime, links_lifetime]


#: Allocations between two young-generation collections (CPython's default is 700). A
#: busy hub allocates that many in well under a millisecond, and each collection that
#: reaches the old generation walks every live object: pauses that showed up as the
#: tail of the delivery latency, measurably shorter with these thresholds.
GC_THRESHOLDS = (50_000, 20, 20)


def settle_garbage_collector() -> None:
    """Once started: what startup built is moved out of the collector's sight
    (``gc.freeze``), and collections run less often (:data:`GC_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _upstream_links(hub: Hub, adapters: AdapterRunner) -> list[Any]:
    """One UpstreamLink per ``federate`` adapter (the runner leaves those alone)."""
    from adapters.upstream import UpstreamAdapter, UpstreamLink

    return [
        UpstreamLink(hub, slot.adapter)
        for slot in adapters.build()
        if "federate" in slot.adapter.capabilities and isinstance(slot.adapter, UpstreamAdapter)
    ]


async def _listen(runner: web.AppRunner, hub: Hub, config: Config, *, reuse_port: bool) -> str:
    """Open the listener (TLS when configured); the address it is bound to."""
    host, port = parse_listen(config.hub.listen)
    context = tls_context(config, hub.keys.ca_cert_path)
    site = web.TCPSite(runner, host, port, ssl_context=context, reuse_port=reuse_port or None)
    try:
        await site.start()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    log.info("hub.listening", tls=context is not None, reuse_port=reuse_port)
    return _bound_address(runner, f"{host}:{port}")


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
