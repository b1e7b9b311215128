"""The in-process bus for the embedded hub (``local://``) and for tests.

Same semantics as the RabbitMQ bus — a mailbox per unit, acknowledgement only after the
handler returned, retries with backoff on ``Recoverable``, dead letters after
``delivery_limit`` attempts or on any other error, per-message expiry, an unroutable
publish refused with ``bus.unroutable``, unacknowledged messages given back when a
consumer is cancelled — but **nothing is persisted**: messages live in this process's
memory only. That is enough because the database outbox is the durable part: a row is
marked published only after :meth:`LocalBus.publish` returned, and after a restart the
relay publishes again whatever the database has not seen delivered.

:class:`LocalRecovery` is that part on the hub's side: at start it hands the relay back
what was published but never reached a mailbox, it tells the outbox retention which rows
only this process's memory holds (the dead letters), and at stop it lets the bus empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import structlog

from gateway.bus.base import (
    Bus,
    BusDelivery,
    Consumer,
    DeadLetter,
    Handler,
    check_headers,
    check_routing,
)
from gateway.bus.dispatch import Action, RetryPolicy, dispatch, sleep_unless
from gateway.envelope.model import check_unit_code
from gateway.errors import BusUnavailable, UnroutableError

__all__ = ["LocalBus", "LocalRecovery"]

log = structlog.get_logger("gateway.bus.local")


@dataclass(frozen=True)
class _Message:
    delivery: BusDelivery
    expires_at: float | None


class _Mailbox:
    """A FIFO of messages for one unit, with a wake-up for waiting consumers."""

    def __init__(self) -> None:
        self.ready: deque[_Message] = deque()
        self.changed = asyncio.Condition()

    async def put(self, msg: _Message) -> None:
        async with self.changed:
            self.ready.append(msg)
            self.changed.notify()

    async def take(self) -> _Message:
        async with self.changed:
            await self.changed.wait_for(lambda: bool(self.ready))
            return self.ready.popleft()


class LocalBus:
    """In-memory :class:`~gateway.bus.base.Bus`; see the module docstring."""

    def __init__(
        self,
        *,
        prefetch: int = 256,
        delivery_limit: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        drain_timeout: float = 10.0,
    ) -> None:
        self.policy = RetryPolicy(delivery_limit, backoff_base, backoff_max)
        self.prefetch = prefetch
        self.drain_timeout = drain_timeout
        self._mailboxes: dict[str, _Mailbox] = {}
        self._dead: list[DeadLetter] = []
        self._consumers: set[_LocalConsumer] = set()
        self._connected = False

    @property
    def is_connected(self) -> bool:
        """True between :meth:`connect` and :meth:`close`."""
        return self._connected

    async def connect(self) -> None:
        """Nothing to reach: just start accepting publishes."""
        self._connected = True

    async def publish(
        self,
        topic: str,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        headers: Mapping[str, str] | None = None,
        expiration: float | None = None,
    ) -> None:
        """Put the message into the unit's mailbox (the "confirm" is immediate)."""
        check_routing(topic, routing_key)
        user = check_headers(headers)
        if not self._connected:
            raise BusUnavailable("the local bus is not connected", code="bus.timeout")
        mailbox = self._mailboxes.get(routing_key)
        if mailbox is None:
            raise UnroutableError(f"no mailbox for {routing_key}", message_id=message_id)
        delivery = BusDelivery(bytes(body), message_id, routing_key, topic, user)
        expires_at = None if expiration is None else time.time() + expiration
        await mailbox.put(_Message(delivery, expires_at))

    async def declare_mailbox(self, unit: str) -> None:
        """Create the unit's mailbox if it does not exist yet."""
        self._mailbox(unit)

    async def declare_mailboxes(self, units: Sequence[str]) -> None:
        """:meth:`declare_mailbox` for each of ``units`` (none if one code is bad)."""
        for unit in units:
            check_unit_code(unit)
        for unit in units:
            self._mailbox(unit)

    def _mailbox(self, unit: str) -> _Mailbox:
        check_unit_code(unit)
        return self._mailboxes.setdefault(unit, _Mailbox())

    async def consume(self, unit: str, handler: Handler) -> Consumer:
        """Deliver the unit's mailbox to ``handler``, ``prefetch`` messages at a time."""
        consumer = _LocalConsumer(self, unit, self._mailbox(unit), handler)
        self._consumers.add(consumer)
        consumer.start()
        return consumer

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest ``limit`` dead letters."""
        return self._dead[:limit]

    async def dead_letter_count(self) -> int:
        """How many dead letters are kept."""
        return len(self._dead)

    async def retry_dead_letter(self, message_id: str) -> bool:
        """Publish the dead letter(s) with this id again, then forget them."""
        found = [d for d in self._dead if d.message_id == message_id]
        if not found:
            return False
        first = found[0]
        await self.publish(
            first.topic, first.routing_key, first.body, message_id=message_id, headers=first.headers
        )
        self._dead = [d for d in self._dead if d.message_id != message_id]
        return True

    async def discard_dead_letter(self, message_id: str) -> bool:
        """Forget the dead letter(s) with this id."""
        before = len(self._dead)
        self._dead = [d for d in self._dead if d.message_id != message_id]
        return len(self._dead) != before

    async def queue_depths(self, units: Iterable[str] | None = None) -> dict[str, int]:
        """Ready (not yet delivered) messages per mailbox."""
        wanted = list(self._mailboxes) if units is None else list(units)
        return {u: len(self._mailboxes[u].ready) for u in wanted if u in self._mailboxes}

    async def close(self) -> None:
        """Cancel every consumer (draining) and refuse further publishes."""
        for consumer in list(self._consumers):
            await consumer.cancel()
        self._connected = False

    def _bury(self, msg: _Message, reason: str, error: str) -> None:
        d = msg.delivery
        self._dead.append(
            DeadLetter(
                d.message_id, d.topic, d.routing_key, reason, d.attempt, d.body, d.headers, error
            )
        )

    def _forget(self, consumer: _LocalConsumer) -> None:
        self._consumers.discard(consumer)


class _LocalConsumer:
    """Takes messages from one mailbox and runs the handler on each in its own task."""

    def __init__(self, bus: LocalBus, unit: str, mailbox: _Mailbox, handler: Handler) -> None:
        self._bus = bus
        self._unit = unit
        self._mailbox = mailbox
        self._handler = handler
        self._slots = asyncio.Semaphore(bus.prefetch)
        self._inflight: dict[asyncio.Task[None], _Message] = {}
        self._stopping = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    @property
    def unit(self) -> str:
        """The unit whose mailbox this reads."""
        return self._unit

    def start(self) -> None:
        self._pump = asyncio.create_task(self._run(), name=f"local-bus-consumer-{self._unit}")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self._slots.acquire()
            try:
                msg = await self._mailbox.take()
            except asyncio.CancelledError:
                self._slots.release()
                raise
            task = asyncio.create_task(self._process(msg))
            self._inflight[task] = msg
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        self._slots.release()

    async def _process(self, msg: _Message) -> None:
        verdict = await dispatch(msg.delivery, self._handler, self._bus.policy, msg.expires_at)
        if verdict.action is Action.ACK:
            return
        if verdict.action is Action.DEAD:
            self._bus._bury(msg, verdict.reason, verdict.error)
            return
        await sleep_unless(self._stopping, verdict.delay)
        await self._give_back(msg)

    async def _give_back(self, msg: _Message) -> None:
        d = msg.delivery
        again = replace(d, redelivered=True, attempt=d.attempt + 1)
        await self._mailbox.put(_Message(again, msg.expires_at))

    async def cancel(self, drain_timeout: float | None = None) -> None:
        """Stop; wait up to ``drain_timeout`` for handlers; requeue what did not finish."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        timeout = self._bus.drain_timeout if drain_timeout is None else drain_timeout
        pending = dict(self._inflight)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            for task in late:
                await self._give_back(pending[task])
        self._bus._forget(self)


class PublishedRows(Protocol):
    """The outbox reads and writes of ``MessageStore`` the recovery needs."""

    async def unconsumed_published(self, limit: int = 500) -> Sequence[Any]:
        """Rows marked published whose mailbox item does not exist."""

    async def republish(self, ids: Sequence[int]) -> int:
        """Mark published rows unpublished again."""


class LocalRecovery:
    """What the in-process bus, which keeps its messages in memory only, needs from the
    hub around it; with any other bus (``enabled=False``) every method does nothing."""

    def __init__(
        self,
        bus: Bus,
        outbox: PublishedRows,
        row_of: Callable[[str], int | None],
        *,
        enabled: bool,
    ) -> None:
        self.bus = bus
        self.outbox = outbox
        #: The outbox row id in a bus message id (``pipeline.relay.outbox_row_of``).
        self.row_of = row_of
        self.enabled = enabled

    async def recover(self) -> int:
        """After a crash, what was published but never reached a mailbox is gone: hand
        those rows back to the relay (consumers are idempotent, so a row published twice
        still has one effect)."""
        if not self.enabled:
            return 0
        count = 0
        while rows := await self.outbox.unconsumed_published(500):
            done = await self.outbox.republish([r.id for r in rows])
            if not done:
                break
            count += done
        if count:
            log.warning("hub.local_bus_recovered", republished=count)
        return count

    async def held_rows(self) -> set[int]:
        """Outbox rows whose message only this process's memory holds: the dead letters
        (RabbitMQ keeps its own). Their rows stay until a restart's :meth:`recover` sends
        them again (see :mod:`gateway.store.retention`)."""
        if not self.enabled:
            return set()
        letters = await self.bus.dead_letters(limit=await self.bus.dead_letter_count())
        return {row for d in letters if (row := self.row_of(d.message_id)) is not None}

    async def drain(self, seconds: float) -> None:
        """Consume what the bus holds before stopping (at most ``seconds``)."""
        if not self.enabled:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while any((await self.bus.queue_depths()).values()):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
