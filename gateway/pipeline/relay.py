"""Stage 4, relay: outbox rows → the bus, marked published only after the confirm.

The relay claims a batch of outbox rows under a lease (several hub processes share the
outbox: PostgreSQL hands each row to one of them with ``FOR UPDATE SKIP LOCKED``), publishes
them concurrently with many confirms in flight, marks the confirmed ones published and
releases the others for a later retry. A hub that dies between the commit and the publish
leaves its rows in the outbox; their lease runs out and any relay picks them up again.
A hub that dies after the publish but before marking publishes twice: consumers dedupe.
A lease names its holder (:func:`worker_name`: host, process id, a random tag), so a hub
process that starts again on the same host hands back at once the leases of a process of
that host that is gone (:func:`holder_is_gone`, :func:`reclaim_leases`) instead of waiting for them
to run out.

:class:`BusPublisher` puts one row onto the bus under its bus message id
(:func:`bus_message_id`, unique per mailbox item; :func:`outbox_row_of` reads it back), and
opens the mailbox of a unit added since start: the relay needs nothing of the hub.

It wakes at once when ``accept`` calls :meth:`Relay.wake`, and polls otherwise. Only a
full batch makes it claim again at once; after a smaller one the outbox was drained, and
it waits for the next wake (an empty claim is a transaction of its own). In its
loop, marking a batch published (a write that queues behind the other writes) runs beside
the next claim instead of before it, so rows committed meanwhile do not wait for it: the
rows being marked are still leased to this relay, so no claim takes them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import structlog

from gateway.bus import Bus
from gateway.errors import GatewayError, Recoverable, UnroutableError
from gateway.store import OutboxRow

__all__ = [
    "BusPublisher",
    "MailboxOpener",
    "OutboxSource",
    "Publisher",
    "Relay",
    "bus_message_id",
    "holder_is_gone",
    "outbox_row_of",
    "reclaim_leases",
    "worker_name",
]

#: Batches whose marking may run beside the next claim before the loop waits for one.
SETTLING_LIMIT = 4

log = structlog.get_logger("gateway.pipeline.relay")


def worker_name() -> str:
    """This process's name as a lease holder: ``host:pid:tag`` (the tag tells a process
    apart from an earlier one that had the same pid, e.g. pid 1 in a restarted container)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def holder_is_gone(holder: str, me: str) -> bool:
    """True when the lease holder ``holder`` (a :func:`worker_name`) was a process of this
    host that no longer runs (``me``: this process's own name). A holder of another host,
    or whose pid runs a process now (maybe another program: pids are reused), is not gone:
    its leases run out as before."""
    host, _, rest = holder.partition(":")
    pid_text, _, _tag = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or holder == me:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # an earlier process with this process's pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # a process of another user has the pid now
    return False


class LeaseHolders(Protocol):
    """The lease half of ``MessageStore``."""

    async def lease_holders(self) -> list[str]:
        """The holders of leases that have not run out."""

    async def release_holders(self, holders: Sequence[str]) -> int:
        """Give back every row leased to one of ``holders``."""


async def reclaim_leases(outbox: LeaseHolders, me: str) -> int:
    """Outbox rows leased to a process of this host that is gone (killed, crashed) go
    back to the outbox now, instead of waiting for their lease to run out."""
    gone = [h for h in await outbox.lease_holders() if holder_is_gone(h, me)]
    count = await outbox.release_holders(gone)
    if count:
        log.warning("hub.leases_reclaimed", rows=count, holders=gone)
    return count


def bus_message_id(row: OutboxRow) -> str:
    """Unique per mailbox item: documents by (message, recipient), receipts by receipt id."""
    return f"{row.message_id}.{row.routing_key}.{row.id}"


def outbox_row_of(message_id: str) -> int | None:
    """The outbox row id in a :func:`bus_message_id` (``None`` for any other id)."""
    last = message_id.rpartition(".")[2]
    return int(last) if last.isdigit() else None


class MailboxOpener(Protocol):
    """What the relay asks of the next stage (:class:`gateway.pipeline.mailbox.MailboxConsumers`)
    for a unit added since start: the relay imports nothing of a later stage."""

    async def add(self, unit: str) -> None:
        """Consume ``unit``'s mailbox (declaring it) if not already."""


class BusPublisher:
    """One outbox row onto the bus; a unit added since start gets its mailbox now (and,
    when this process consumes, its consumer)."""

    def __init__(self, bus: Bus, consumers: MailboxOpener | None) -> None:
        self.bus = bus
        self.consumers = consumers

    async def __call__(self, row: OutboxRow) -> None:
        """Publish ``row``; returns after the confirm."""
        try:
            await self._send(row)
        except UnroutableError:
            await self.bus.declare_mailbox(row.routing_key)
            if self.consumers is not None:
                await self.consumers.add(row.routing_key)
            await self._send(row)

    async def _send(self, row: OutboxRow) -> None:
        await self.bus.publish(row.topic, row.routing_key, row.body, message_id=bus_message_id(row))


class OutboxSource(Protocol):
    """The outbox half of ``MessageStore``."""

    async def claim_outbox(self, limit: int, worker: str, lease_seconds: float) -> Sequence[Any]:
        """Rows to publish, leased to ``worker``."""

    async def mark_published(self, ids: Sequence[Any], *, lazy: bool = False) -> Any:
        """The rows were confirmed by the bus (``lazy``: no one waits for the mark)."""

    async def release(self, ids: Sequence[Any]) -> Any:
        """The rows were not confirmed: give them back now."""


class Publisher(Protocol):
    """How one outbox row goes onto the bus (returns after the confirm, or raises)."""

    async def __call__(self, row: Any) -> None:
        """Publish ``row``; raise :class:`Recoverable` on nack/timeout."""


class Relay:
    """The outbox → bus loop of one hub process."""

    def __init__(
        self,
        outbox: OutboxSource,
        publish: Publisher,
        *,
        worker: str,
        batch: int = 256,
        in_flight: int = 128,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.outbox = outbox
        self.publish = publish
        self.worker = worker
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._slots = asyncio.Semaphore(in_flight)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._settling: set[asyncio.Task[None]] = set()
        self.published = 0

    def wake(self) -> None:
        """New rows were committed: run a pass now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Run the loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"relay-{self.worker}")

    async def stop(self, *, flush_seconds: float = 5.0) -> None:
        """Stop the loop after its current pass, then flush what is left (bounded).

        A relay that was never started does nothing (it publishes nothing on stop).
        """
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        await self._task
        self._task = None
        await asyncio.gather(*self._settling)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_seconds):
                while await self._pass_safely():
                    pass

    async def _loop(self) -> None:
        while not self._stopping:
            claimed = await self._pass_safely(pipelined=True)
            if claimed >= self.batch:
                continue  # a full batch: there may be more right away
            # else the outbox was drained; a commit during the pass has set the event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def _pass_safely(self, *, pipelined: bool = False) -> int:
        try:
            return await (self._run_pipelined() if pipelined else self.run_once())
        except Recoverable as exc:
            log.warning("relay.unavailable", error=str(exc))
            await asyncio.sleep(self.poll_seconds)
        except Exception:
            log.exception("relay.error")
            await asyncio.sleep(self.poll_seconds)
        return 0

    async def run_once(self) -> int:
        """Claim one batch, publish it, settle it; the number of rows published."""
        done, failed = await self._claim_and_publish()
        await self._settle(done, failed)
        return len(done)

    async def _run_pipelined(self) -> int:
        """:meth:`run_once`, with the settling left to run beside the next pass; the
        number of rows claimed."""
        done, failed = await self._claim_and_publish()
        if done or failed:
            task = asyncio.create_task(self._settle_logged(done, failed))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)
            if len(self._settling) >= SETTLING_LIMIT:
                await asyncio.wait(self._settling, return_when=asyncio.FIRST_COMPLETED)
        return len(done) + len(failed)

    async def _claim_and_publish(self) -> tuple[list[Any], list[Any]]:
        """Claim a batch and publish it: the ids confirmed, and the ids that were not."""
        rows = await self.outbox.claim_outbox(self.batch, self.worker, self.lease_seconds)
        if not rows:
            return [], []
        results = await asyncio.gather(*(self._publish_one(row) for row in rows))
        done = [row.id for row, ok in zip(rows, results, strict=True) if ok]
        failed = [row.id for row, ok in zip(rows, results, strict=True) if not ok]
        self.published += len(done)
        return done, failed

    async def _settle(self, done: list[Any], failed: list[Any], *, lazy: bool = False) -> None:
        if done:
            # One transaction for the batch: every writer takes the store's write lock
            # first (``Database.session(write=True)``), so this cannot deadlock.
            await self.outbox.mark_published(done, lazy=lazy)
        if failed:
            await self.outbox.release(failed)
        log.debug("relay.pass", published=len(done), released=len(failed))

    async def _settle_logged(self, done: list[Any], failed: list[Any]) -> None:
        """:meth:`_settle` in the background: a failure leaves the rows leased (they are
        published again when the lease runs out; consumers dedupe)."""
        try:
            await self._settle(done, failed, lazy=True)
        except Recoverable as exc:
            log.warning("relay.settle_failed", error=str(exc))
        except Exception:
            log.exception("relay.settle_failed")

    async def _publish_one(self, row: Any) -> bool:
        async with self._slots:
            try:
                await self.publish(row)
            except GatewayError as exc:
                log.warning("relay.publish_failed", row=str(row.id), error=str(exc))
                return False
        return True
