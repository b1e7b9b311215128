"""The RabbitMQ bus (``amqp://``, ``amqps://``) on aio-pika.

Features:
- ``connect_robust``: the connection and every channel, exchange, queue, binding and
  consumer declared through it come back by themselves after a reconnect; no hand-rolled
  reconnect loop. Add ``?heartbeat=N`` to the URL to detect a dead peer sooner (aiormq
  gives up after about ``3 × (N + 1)`` seconds without a frame).
- Publishes are persistent, carry ``message_id``, are ``mandatory`` on a channel with
  ``publisher_confirms=True`` and ``on_return_raises=True``, and each waits for its confirm
  at most ``confirm_timeout`` seconds (that bound also covers waiting for a reconnect).
  Many publishes may be in flight at once on the one channel.
- Retry with backoff is a *sleep before requeue*: a ``Recoverable`` handler error keeps the
  message unacknowledged for the backoff delay, then ``nack(requeue=True)``. The quorum
  queue counts the return (``x-delivery-count``) and enforces ``x-delivery-limit`` itself,
  so a consumer that crashes on a message cannot loop forever either. A held message uses
  a prefetch slot, which is the back-pressure we want while a dependency is down.
- Dead letters: the bus republishes a refused message to ``lienthong.dlx`` with the reason
  and the error code, confirmed, then acks it; if that fails it ``nack``s without requeue
  and the broker dead-letters it (at-least-once). Expired and over-limit messages are
  dead-lettered by the broker.
- Acking on a channel that was replaced by a reconnect raises ``ChannelInvalidStateError``:
  it is logged and ignored; the broker redelivers and the consumer deduplicates.

Config keys (``[bus]``): ``url``, ``prefetch``, ``delivery_limit``,
``confirm_timeout_seconds``.

Example::

    bus = RabbitBus("amqp://guest:guest@127.0.0.1/lienthong", delivery_limit=5)
    await bus.connect()
    await bus.declare_mailbox("000.00.01.G01")
    await bus.publish("documents", "000.00.01.G01", body, message_id=mid)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import (
    CONNECTION_EXCEPTIONS,
    ChannelPreconditionFailed,
    DeliveryError,
    PublishError,
)

from gateway.bus import topology as topo
from gateway.bus.base import (
    BusDelivery,
    Consumer,
    DeadLetter,
    Handler,
    check_headers,
    check_routing,
)
from gateway.bus.dispatch import RetryPolicy, Verdict
from gateway.bus.rabbit_consumer import RabbitConsumer, settle
from gateway.bus.rabbit_dead import DeadLetterBox
from gateway.envelope.model import check_unit_code
from gateway.errors import BusUnavailable, ConfigError, UnroutableError

__all__ = ["RabbitBus"]

CLOSE_CALLBACKS_WAIT = 1.0  # seconds; see _close_callbacks_done
#: Channels :meth:`RabbitBus.declare_mailboxes` declares over at once.
DECLARE_CHANNELS = 8
#: Channels the mailbox consumers are spread over. A channel carries one broker call at a
#: time, so starting (or, after a reconnect, restoring) 500 consumers on one channel is
#: 1,000 round trips one after the other; over 8 channels they overlap.
SUBSCRIBE_CHANNELS = 8


class RabbitBus:
    """:class:`~gateway.bus.base.Bus` on RabbitMQ; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        prefetch: int = 256,
        delivery_limit: int = 5,
        confirm_timeout: float = 10.0,
        reconnect_interval: float = 1.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        drain_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.prefetch = prefetch
        self.policy = RetryPolicy(delivery_limit, backoff_base, backoff_max)
        self.confirm_timeout = confirm_timeout
        self.reconnect_interval = reconnect_interval
        self.drain_timeout = drain_timeout
        self._connection: AbstractRobustConnection | None = None
        self._pub: AbstractRobustChannel | None = None
        self._subs: list[AbstractRobustChannel] = []
        self._exchanges: dict[str, AbstractExchange] = {}
        self._dlx: AbstractExchange | None = None
        self._declared: set[str] = set()
        self._declaring: dict[str, asyncio.Lock] = {}
        self._consumers: set[RabbitConsumer] = set()
        self._dead = DeadLetterBox(self)

    @property
    def is_connected(self) -> bool:
        """True while the robust connection is up (False while it reconnects)."""
        conn = self._connection
        return conn is not None and conn.connected.is_set() and self._pub is not None

    @property
    def connection(self) -> AbstractRobustConnection:
        """The live robust connection; ``BusUnavailable`` before :meth:`connect`."""
        if self._connection is None:
            raise BusUnavailable("the bus is not connected", code="bus.unavailable")
        return self._connection

    async def connect(self) -> None:
        """Connect (bounded by ``confirm_timeout``) and declare the fixed topology."""
        if self._connection is not None:
            return
        try:
            async with asyncio.timeout(self.confirm_timeout):
                conn = await aio_pika.connect_robust(
                    self.url, reconnect_interval=self.reconnect_interval
                )
                self._connection = conn
                await self._open_channels(conn)
        except (TimeoutError, *CONNECTION_EXCEPTIONS) as exc:
            await self._abandon()
            raise BusUnavailable(f"cannot reach RabbitMQ: {exc!r}", code="bus.unavailable") from exc

    async def _open_channels(self, conn: AbstractRobustConnection) -> None:
        pub = await conn.channel(publisher_confirms=True, on_return_raises=True)
        subs = [await conn.channel() for _ in range(SUBSCRIBE_CHANNELS)]
        for sub in subs:
            await sub.set_qos(prefetch_count=self.prefetch)
        for topic, name in topo.EXCHANGES.items():
            self._exchanges[topic] = await pub.declare_exchange(
                name, aio_pika.ExchangeType.DIRECT, durable=True
            )
        self._dlx = await pub.declare_exchange(topo.DLX, aio_pika.ExchangeType.FANOUT, durable=True)
        dead = await pub.declare_queue(
            topo.DEAD_QUEUE, durable=True, arguments=dict(topo.DEAD_ARGUMENTS)
        )
        await dead.bind(self._dlx)
        self._pub, self._subs = pub, subs

    async def _abandon(self) -> None:
        conn, self._connection = self._connection, None
        channels, self._pub, self._subs = (self._pub, *self._subs), None, []
        if conn is None:
            return
        for channel in channels:
            if channel is not None and not channel.is_closed:
                with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                    await channel.close()
        with contextlib.suppress(*CONNECTION_EXCEPTIONS):
            await conn.close()
        await _close_callbacks_done()

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
        """Publish and wait for the broker's confirm (see :class:`Bus`)."""
        check_routing(topic, routing_key)
        exchange = self._exchanges.get(topic)
        if exchange is None or self._pub is None:
            raise BusUnavailable("the bus is not connected", code="bus.unavailable")
        message = _message(topic, body, message_id, headers, expiration)
        await self._confirmed(exchange, message, self._route(routing_key, message))

    def _route(self, unit: str, message: aio_pika.Message) -> str:
        """The broker routing key for a message to ``unit`` (here: the unit code itself,
        bound to the unit's own mailbox queue)."""
        return unit

    async def _confirmed(
        self, exchange: AbstractExchange, message: aio_pika.Message, routing_key: str
    ) -> None:
        mid = message.message_id
        try:
            async with asyncio.timeout(self.confirm_timeout):
                await exchange.publish(message, routing_key, mandatory=True)
        except PublishError as exc:
            raise UnroutableError(f"no mailbox for {routing_key}", message_id=mid) from exc
        except DeliveryError as exc:
            raise BusUnavailable("the broker refused", code="bus.nacked", message_id=mid) from exc
        except TimeoutError as exc:
            raise BusUnavailable("no confirm in time", code="bus.timeout", message_id=mid) from exc
        except CONNECTION_EXCEPTIONS as exc:
            raise BusUnavailable(
                f"connection lost: {exc!r}", code="bus.unavailable", message_id=mid
            ) from exc

    async def declare_mailbox(self, unit: str) -> None:
        """Declare the unit's quorum mailbox and bind it to both topics (once)."""
        check_unit_code(unit)
        if unit in self._declared:
            return
        async with self._declaring.setdefault(unit, asyncio.Lock()):
            if unit in self._declared:
                return
            queue = await self._declare_queue(self._require(self._pub), topo.mailbox_queue(unit))
            for exchange in self._exchanges.values():
                await self._bounded(queue.bind(exchange, routing_key=unit))
            self._declared.add(unit)

    async def declare_mailboxes(self, units: Sequence[str]) -> None:
        """Declare many mailboxes over ``DECLARE_CHANNELS`` short-lived channels at once.

        A new quorum queue and its two bindings take several round trips one after the
        other; the broker creates several at once, so many channels declare faster. The
        queues are durable, so they outlive the channels.
        """
        todo = [u for u in dict.fromkeys(units) if u not in self._declared]
        for unit in todo:
            check_unit_code(unit)
        if len(todo) < 2:
            for unit in todo:
                await self.declare_mailbox(unit)
            return
        count = min(DECLARE_CHANNELS, len(todo))
        channels = [await self._bounded(self.connection.channel()) for _ in range(count)]
        try:
            await asyncio.gather(
                *(self._declare_all(ch, todo[i::count]) for i, ch in enumerate(channels))
            )
        finally:
            for channel in channels:
                with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                    await channel.close()

    async def _declare_all(self, channel: AbstractRobustChannel, units: Sequence[str]) -> None:
        for unit in units:
            queue = await self._declare_queue(channel, topo.mailbox_queue(unit))
            for exchange in self._exchanges.values():
                await self._bounded(queue.bind(exchange.name, routing_key=unit))
            self._declared.add(unit)

    async def _declare_queue(self, channel: AbstractRobustChannel, name: str) -> Any:
        try:
            return await self._bounded(
                channel.declare_queue(
                    name,
                    durable=True,
                    arguments=topo.mailbox_arguments(self.policy.delivery_limit),
                )
            )
        except ChannelPreconditionFailed as exc:
            raise ConfigError(
                f"queue {name} exists with other arguments: {exc}",
                code="bus.topology_mismatch",
            ) from exc

    async def _bounded(self, awaitable: Any) -> Any:
        try:
            async with asyncio.timeout(self.confirm_timeout):
                return await awaitable
        except ChannelPreconditionFailed:
            raise
        except (TimeoutError, *CONNECTION_EXCEPTIONS) as exc:
            raise BusUnavailable(f"broker operation failed: {exc!r}") from exc

    def _require(self, channel: AbstractRobustChannel | None) -> AbstractRobustChannel:
        if channel is None:
            raise BusUnavailable("the bus is not connected", code="bus.unavailable")
        return channel

    async def consume(self, unit: str, handler: Handler) -> Consumer:
        """Declare the mailbox and start a consumer on it."""
        await self.declare_mailbox(unit)
        subs = self._subs
        channel = subs[zlib.crc32(unit.encode()) % len(subs)] if subs else None
        queue = await self._declare_queue(self._require(channel), topo.mailbox_queue(unit))
        consumer = RabbitConsumer(self, unit, queue, handler)
        await self._bounded(consumer.start())
        self._consumers.add(consumer)
        return consumer

    async def bury(
        self, message: AbstractIncomingMessage, delivery: BusDelivery, verdict: Verdict
    ) -> None:
        """Dead-letter ``message`` with its reason, then ack; else let the broker do it."""
        headers = dict(message.headers or {})
        headers.update(
            {
                topo.H_REASON: verdict.reason,
                topo.H_ERROR: verdict.error,
                topo.H_ATTEMPTS: delivery.attempt,
            }
        )
        dead = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            headers=headers,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            assert self._dlx is not None
            await self._confirmed(self._dlx, dead, delivery.routing_key)
        except BusUnavailable:
            await settle(message.nack(requeue=False), delivery)
            return
        await settle(message.ack(), delivery)

    def forget(self, consumer: RabbitConsumer) -> None:
        """Called by a consumer once it is cancelled."""
        self._consumers.discard(consumer)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Peek at up to ``limit`` dead letters (they stay in ``lienthong.dead``)."""
        return await self._dead.peek(limit)

    async def dead_letter_count(self) -> int:
        """Messages ready in ``lienthong.dead``."""
        return await self._dead.count()

    async def retry_dead_letter(self, message_id: str) -> bool:
        """Republish a dead letter to its mailbox (confirmed), then remove it."""
        return await self._dead.take(message_id, retry=True)

    async def discard_dead_letter(self, message_id: str) -> bool:
        """Remove a dead letter for good."""
        return await self._dead.take(message_id, retry=False)

    async def queue_depths(self, units: Iterable[str] | None = None) -> dict[str, int]:
        """Ready messages per mailbox (passive declares; unknown mailboxes are left out)."""
        wanted = sorted(self._declared) if units is None else [check_unit_code(u) for u in units]
        return await self._dead.depths({u: topo.mailbox_queue(u) for u in wanted})

    async def close(self) -> None:
        """Drain and cancel every consumer, then close the connection."""
        for consumer in list(self._consumers):
            await consumer.cancel()
        self._exchanges.clear()
        self._declared.clear()
        await self._abandon()


def _message(
    topic: str,
    body: bytes,
    message_id: str,
    headers: Mapping[str, str] | None,
    expiration: float | None,
) -> aio_pika.Message:
    props: dict[str, Any] = dict(check_headers(headers))
    props[topo.H_TOPIC] = topic
    if expiration is not None:
        props[topo.H_EXPIRES_AT] = int((time.time() + expiration) * 1000)
    return aio_pika.Message(
        body,
        message_id=message_id,
        headers=props,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        expiration=expiration,
    )


async def _close_callbacks_done() -> None:
    """Wait (bounded) for aio-pika's close callbacks, which run in tasks of their own.

    Left pending, they outlive the event loop and die with "Event loop is closed".
    """
    current = asyncio.current_task()
    deadline = asyncio.get_running_loop().time() + CLOSE_CALLBACKS_WAIT
    while True:
        await asyncio.sleep(0)  # future done-callbacks create those tasks a turn later
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and "OneShotCallback" in getattr(task.get_coro(), "__qualname__", "")
        ]
        left = deadline - asyncio.get_running_loop().time()
        if not pending or left <= 0:
            return
        await asyncio.wait(pending, timeout=left)
