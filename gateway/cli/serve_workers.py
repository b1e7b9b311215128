"""``lienthong serve --workers N``: N full hub processes sharing one port.

Each worker is a whole hub (HTTP API, relay, consumers, adapters) bound to the same
``host:port`` with ``SO_REUSEPORT``, so the kernel spreads connections over them. They
share the database and the broker safely: outbox rows are leased (``FOR UPDATE SKIP
LOCKED``) and consumers are idempotent by message id. The parent creates the hub's
identity and runs the migrations once, starts the workers, forwards SIGTERM/SIGINT to
them and waits; if one worker dies on its own, the others are stopped too and the exit
status is non-zero.

The embedded default cannot be shared: the local bus lives inside one process, so
``N > 1`` with ``local://`` is refused (``config.invalid``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Sequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import cast

import structlog

from gateway.bootstrap import ensure_identity, with_passphrase
from gateway.cli.common import run
from gateway.config import Config
from gateway.errors import ConfigError
from gateway.logging import configure_logging
from gateway.pki.keystore import KeyStore
from gateway.store import Database

__all__ = ["check_workers", "prepare", "serve_workers"]

log = structlog.get_logger("gateway.serve")


def check_workers(config: Config, count: int) -> None:
    """Refuse a worker count the configuration cannot share (``config.invalid``)."""
    if count <= 1:
        return
    if config.bus.url.startswith("local"):
        raise ConfigError(
            f"--workers {count} needs a shared bus: the local bus lives inside one process; "
            "set [bus] url = amqp://… (and a PostgreSQL [database] url)",
            code="config.invalid",
        )
    from gateway.cli.serve import parse_listen

    if parse_listen(config.hub.listen)[1] == 0:
        raise ConfigError(
            f"--workers {count} needs a fixed port in [hub] listen, not port 0",
            code="config.invalid",
        )


async def prepare(config: Config) -> Config:
    """Identity (CA, hub key) and migrations once, before the workers race for them."""
    config = with_passphrase(config)
    await asyncio.to_thread(ensure_identity, KeyStore(config), config)
    db = Database(config.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    return config


def serve_workers(config: Config, count: int, *, log_format: str, log_level: str) -> int:
    """Run ``count`` hub processes until a signal; the exit status (0: all stopped cleanly)."""
    check_workers(config, count)
    config = run(prepare(config))
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=worker_main,
            args=(config, log_format, log_level),
            name=f"lienthong-worker-{n}",
        )
        for n in range(count)
    ]
    return _supervise(workers)


def worker_main(config: Config, log_format: str, log_level: str) -> None:
    """One worker process: a whole hub on the shared port."""
    from gateway.cli.serve import serve

    configure_logging(level=log_level, json=log_format == "json")
    run(serve(config, reuse_port=True))


def _supervise(workers: Sequence[BaseProcess]) -> int:
    stopping = False

    def stop_all(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop_all) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for worker in workers:
            worker.start()
        log.info("hub.workers_started", pids=[w.pid for w in workers], parent=os.getpid())
        alive = {worker.sentinel: worker for worker in workers}
        while alive:
            for sentinel in wait(list(alive), timeout=1.0):
                worker = alive.pop(cast(int, sentinel))
                worker.join()
                if not stopping:
                    log.error("hub.worker_died", pid=worker.pid, exitcode=worker.exitcode)
                    stop_all()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    codes = [w.exitcode for w in workers]
    log.info("hub.workers_stopped", exitcodes=codes)
    return 0 if all(code == 0 for code in codes) else 1
