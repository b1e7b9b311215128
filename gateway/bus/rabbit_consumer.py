"""One RabbitMQ mailbox consumer: each delivery runs in its own task, settled afterwards.

``prefetch`` bounds how many run at once. Settling (ack / nack) on a channel that a
reconnect has replaced fails with ``ChannelInvalidStateError``; that is expected and only
logged — the broker has already put the message back and will redeliver it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from gateway.bus import topology as topo
from gateway.bus.base import BusDelivery, Handler, user_headers
from gateway.bus.dispatch import Action, RetryPolicy, Verdict, dispatch, sleep_unless

__all__ = ["ConsumerHost", "RabbitConsumer", "settle", "to_delivery"]

log = structlog.get_logger("gateway.bus")


class ConsumerHost(Protocol):
    """What a consumer needs of its bus (:class:`~gateway.bus.rabbit.RabbitBus`)."""

    policy: RetryPolicy
    confirm_timeout: float
    drain_timeout: float

    async def bury(
        self, message: AbstractIncomingMessage, delivery: BusDelivery, verdict: Verdict
    ) -> None:
        """Dead-letter ``message`` with its reason."""

    def forget(self, consumer: RabbitConsumer) -> None:
        """The consumer is cancelled."""


class RabbitConsumer:
    """A subscription to ``lienthong.mailbox.<unit>``; see :class:`~gateway.bus.base.Consumer`."""

    def __init__(
        self, bus: ConsumerHost, unit: str, queue: AbstractQueue, handler: Handler
    ) -> None:
        self._bus = bus
        self._unit = unit
        self._queue = queue
        self._handler = handler
        self._tag: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    @property
    def unit(self) -> str:
        """The unit whose mailbox this reads."""
        return self._unit

    async def start(self) -> None:
        """Register with the broker (the robust channel re-registers after reconnects)."""
        self._tag = await self._queue.consume(self._on_message, no_ack=False)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if self._stopping.is_set():
            await settle(message.nack(requeue=True), None)
            return
        task = asyncio.create_task(self._process(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        delivery, expires_at = to_delivery(message)
        try:
            verdict = await dispatch(delivery, self._handler, self._bus.policy, expires_at)
        except asyncio.CancelledError:
            await settle(message.nack(requeue=True), delivery)
            raise
        if verdict.action is Action.ACK:
            await settle(message.ack(), delivery)
        elif verdict.action is Action.DEAD:
            await self._bus.bury(message, delivery, verdict)
        else:
            await sleep_unless(self._stopping, verdict.delay)
            await settle(message.nack(requeue=True), delivery)

    async def cancel(self, drain_timeout: float | None = None) -> None:
        """Stop deliveries, wait for running handlers, requeue the ones that do not finish."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._tag is not None:
            try:
                async with asyncio.timeout(self._bus.confirm_timeout):
                    await self._queue.cancel(self._tag)
            except (TimeoutError, *CONNECTION_EXCEPTIONS):
                log.warning("bus.cancel_failed", unit=self._unit)
        timeout = self._bus.drain_timeout if drain_timeout is None else drain_timeout
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._bus.forget(self)


def to_delivery(message: AbstractIncomingMessage) -> tuple[BusDelivery, float | None]:
    """The handler's view of an AMQP message, and its expiry deadline (epoch seconds)."""
    headers: dict[str, Any] = dict(message.headers or {})
    topic = str(headers.get(topo.H_TOPIC) or topo.TOPIC_OF_EXCHANGE.get(message.exchange or "", ""))
    expires_ms = headers.get(topo.H_EXPIRES_AT)
    delivery = BusDelivery(
        body=message.body,
        message_id=message.message_id or "",
        # on a shared delivery queue the routing key names the queue: the unit is a header
        routing_key=str(headers.get(topo.H_UNIT) or message.routing_key or ""),
        topic=topic,
        headers=user_headers(headers),
        redelivered=bool(message.redelivered),
        attempt=_int(headers.get(topo.H_DELIVERY_COUNT)) + 1,
    )
    expires_at = _int(expires_ms) / 1000 if expires_ms is not None else None
    return delivery, expires_at


async def settle(action: Awaitable[None], delivery: BusDelivery | None) -> None:
    """Ack or nack; a lost channel is logged, never raised (the broker redelivers)."""
    try:
        await action
    except CONNECTION_EXCEPTIONS as exc:  # includes ChannelInvalidStateError
        log.info(
            "bus.settle_lost",
            message_id=delivery.message_id if delivery else None,
            error=repr(exc),
        )


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0
