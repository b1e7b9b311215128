"""``lienthong serve --workers N``: N full hub processes sharing one port.

Each worker is a whole hub (HTTP API, relay, consumers, adapters) bound to the same
``host:port`` with ``SO_REUSEPORT``, so the kernel spreads connections over them. They
share the database and the broker safely: outbox rows are leased (``FOR UPDATE SKIP
LOCKED``) and consumers are idempotent by message id. The parent creates the hub's
identity and runs the migrations once, starts the workers, forwards SIGTERM/SIGINT to
them and waits. A worker that dies on its own is started again (after 1 s, then 2, 4, …
up to 30 s while the deaths come in a row), as gunicorn does: the others keep serving
meanwhile, and what the dead one had in flight is safe (a request it had answered is
committed; an outbox row it had claimed is released when its lease runs out). A worker
that dies within ``MIN_UPTIME_SECONDS`` of its start counts as a failed start; after
``MAX_FAILED_STARTS`` failed starts in a row (a port taken, a database that refuses, a
broken build) the hub gives up, stops every worker and exits 1.

The embedded default cannot be shared: the local bus lives inside one process, so
``N > 1`` with ``local://`` is refused (``config.invalid``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import cast

import structlog

from gateway.cli.common import parse_listen, run
from gateway.config import Config
from gateway.errors import ConfigError
from gateway.pki.identity import ensure_identity, with_passphrase
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


#: A worker dying sooner than this after its start is a failed start.
MIN_UPTIME_SECONDS = 10.0
#: Failed starts in a row (of any worker) after which the hub stops.
MAX_FAILED_STARTS = 3
#: The wait before a dead worker is started again, doubled for each death in a row.
RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0


#: A worker process's body, ``(config, log_format, log_level)``: top level, so it pickles.
Worker = Callable[[Config, str, str], None]


def serve_workers(
    config: Config, count: int, worker: Worker, *, log_format: str, log_level: str
) -> int:
    """Run ``count`` processes of ``worker`` (a whole hub each, ``serve.worker_main``) until
    a signal; the exit status (0: all stopped cleanly)."""
    check_workers(config, count)
    config = run(prepare(config))
    # the workers share the mailbox queues: a delivery one of them commits must wake the
    # long-polls the others hold (gateway.pipeline.peer_wakeups)
    config = dataclasses.replace(config, hub=dataclasses.replace(config.hub, wake_peers=True))
    context = multiprocessing.get_context("spawn")

    def spawn(slot: int) -> BaseProcess:
        return context.Process(
            target=worker,
            args=(config, log_format, log_level),
            name=f"lienthong-worker-{slot}",
        )

    return Supervisor(spawn, count).run()


class Supervisor:
    """Keeps ``count`` workers (made by ``spawn(slot)``) running until a signal.

    The signal handler only records the request and wakes the loop (a pipe that
    :func:`multiprocessing.connection.wait` watches with the workers); the loop itself
    stops the workers, so a signal never lands in the middle of its bookkeeping."""

    def __init__(
        self,
        spawn: Callable[[int], BaseProcess],
        count: int,
        *,
        min_uptime: float = MIN_UPTIME_SECONDS,
        max_failed_starts: int = MAX_FAILED_STARTS,
        restart_delay: float = RESTART_DELAY_SECONDS,
    ) -> None:
        self.spawn = spawn
        self.count = count
        self.min_uptime = min_uptime
        self.max_failed_starts = max_failed_starts
        self.restart_delay = restart_delay
        self.workers: dict[int, BaseProcess] = {}
        #: Slots whose current worker's end has not been handled yet.
        self.unreaped: set[int] = set()
        self.started: dict[int, float] = {}
        #: Dead workers' slots and when each starts again.
        self.due: dict[int, float] = {}
        self.stop_requested = False
        self.stopping = False
        self.gave_up = False
        #: Every worker running when the stop began exited with 0.
        self.clean = True
        self.deaths_in_a_row = 0
        self.failed_starts = 0
        self._wakeup = -1

    def run(self) -> int:
        """Start the workers, keep them up, and return the exit status once all stopped:
        0 when every worker running at the stop exited cleanly, 1 otherwise or after
        giving up."""
        readable, self._wakeup = os.pipe()
        os.set_blocking(readable, False)
        os.set_blocking(self._wakeup, False)
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in signals}
        try:
            for slot in range(self.count):
                if not self.stop_requested:
                    self._start(slot)
            log.info("hub.workers_started", pids=self._pids(), parent=os.getpid())
            while self.unreaped or self.due:
                if self.stop_requested and not self.stopping:
                    self._stop_all()
                self._start_due()
                running = {self.workers[slot].sentinel: slot for slot in self.unreaped}
                for ready in wait([readable, *running], timeout=self._timeout()):
                    if ready == readable:
                        with contextlib.suppress(BlockingIOError):
                            os.read(readable, 64)
                    else:
                        self._died(running[cast(int, ready)])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(readable)
            os.close(self._wakeup)
        log.info("hub.workers_stopped", exitcodes=[w.exitcode for w in self.workers.values()])
        return 1 if self.gave_up or not self.clean else 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
        with contextlib.suppress(BlockingIOError):
            os.write(self._wakeup, b"s")

    def _stop_all(self) -> None:
        """SIGTERM every running worker; none is started again."""
        self.stopping = True
        self.due.clear()
        for slot in self.unreaped:
            worker = self.workers[slot]
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    def _pids(self) -> list[int | None]:
        return [w.pid for w in self.workers.values()]

    def _start(self, slot: int) -> None:
        worker = self.spawn(slot)
        worker.start()
        self.workers[slot] = worker
        self.unreaped.add(slot)
        self.started[slot] = time.monotonic()

    def _start_due(self) -> None:
        now = time.monotonic()
        for slot in [s for s, at in self.due.items() if at <= now]:
            del self.due[slot]
            self._start(slot)
            log.info("hub.worker_restarted", slot=slot, pid=self.workers[slot].pid)

    def _timeout(self) -> float:
        if not self.due:
            return 1.0
        return max(0.0, min(1.0, min(self.due.values()) - time.monotonic()))

    def _died(self, slot: int) -> None:
        worker = self.workers[slot]
        worker.join()
        self.unreaped.discard(slot)
        if self.stopping:
            self.clean = self.clean and worker.exitcode == 0
            return
        uptime = time.monotonic() - self.started[slot]
        self.failed_starts = self.failed_starts + 1 if uptime < self.min_uptime else 0
        in_a_row = uptime < MAX_RESTART_DELAY_SECONDS
        self.deaths_in_a_row = self.deaths_in_a_row + 1 if in_a_row else 1
        log.error(
            "hub.worker_died",
            pid=worker.pid,
            exitcode=worker.exitcode,
            uptime_s=round(uptime, 1),
        )
        if self.failed_starts >= self.max_failed_starts:
            log.error("hub.workers_failing", failed_starts=self.failed_starts)
            self.gave_up = True
            self._stop_all()
            return
        delay = self.restart_delay * 2 ** min(self.deaths_in_a_row - 1, 5)
        self.due[slot] = time.monotonic() + min(delay, MAX_RESTART_DELAY_SECONDS)
