"""Operator views on RabbitMQ: the dead-letter queue and mailbox depths.

AMQP has no "browse": peeking is ``basic.get`` without ack on a scratch channel, then
closing that channel, which gives every fetched message back to the queue (the order of
the dead-letter queue may change; nothing is lost). Retrying or discarding one dead letter
scans the same way and acks only the matching message(s).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, ChannelNotFoundEntity

from gateway.bus import topology as topo
from gateway.bus.base import Bus, DeadLetter, user_headers
from gateway.bus.dispatch import RetryPolicy
from gateway.errors import BusUnavailable

__all__ = ["DeadLetterBox", "DeadLetterHost"]

MAX_SCAN = 100_000


class DeadLetterHost(Bus, Protocol):
    """What the dead-letter box needs of its bus (:class:`~gateway.bus.rabbit.RabbitBus`):
    a :class:`~gateway.bus.base.Bus` (to republish) with its connection and policy."""

    confirm_timeout: float
    policy: RetryPolicy

    @property
    def connection(self) -> AbstractRobustConnection:
        """The live connection."""


class DeadLetterBox:
    """Dead-letter and depth operations of one :class:`~gateway.bus.rabbit.RabbitBus`."""

    def __init__(self, bus: DeadLetterHost) -> None:
        self._bus = bus

    @asynccontextmanager
    async def _scratch(self, scale: float = 1.0) -> AsyncIterator[AbstractChannel]:
        """A short-lived channel; closing it returns every unacked message it fetched."""
        try:
            async with asyncio.timeout(self._bus.confirm_timeout * scale):
                channel = await self._bus.connection.channel(publisher_confirms=False)
                try:
                    yield channel
                finally:
                    if not channel.is_closed:
                        await channel.close()
        except (TimeoutError, *CONNECTION_EXCEPTIONS) as exc:
            raise BusUnavailable(f"dead-letter operation failed: {exc!r}") from exc

    async def count(self) -> int:
        """Ready messages in the dead-letter queue."""
        async with self._scratch() as channel:
            return await _depth(channel, topo.DEAD_QUEUE)

    async def peek(self, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` dead letters; all are returned to the queue afterwards."""
        out: list[DeadLetter] = []
        async with self._scratch(scale=3.0) as channel:
            queue = await channel.declare_queue(topo.DEAD_QUEUE, passive=True)
            while len(out) < limit:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                out.append(self._to_dead_letter(message))
        return out

    async def take(self, message_id: str, *, retry: bool) -> bool:
        """Ack the dead letter(s) with ``message_id``, republishing the first if ``retry``.

        Messages a recent peek gave back may need a moment to be visible again, so a miss
        is retried a few times before answering ``False``.
        """
        for pause in (0.0, 0.1, 0.3):
            await asyncio.sleep(pause)
            if await self._take_once(message_id, retry=retry):
                return True
        return False

    async def _take_once(self, message_id: str, *, retry: bool) -> bool:
        async with self._scratch(scale=10.0) as channel:
            queue = await channel.declare_queue(topo.DEAD_QUEUE, passive=True)
            found = await _scan(queue, message_id)
            if not found:
                return False
            if retry:
                await self._republish(self._to_dead_letter(found[0]))
            for message in found:
                await message.ack()
        return True

    async def _republish(self, dead: DeadLetter) -> None:
        await self._bus.publish(
            dead.topic,
            dead.routing_key,
            dead.body,
            message_id=dead.message_id,
            headers=dict(dead.headers),
        )

    async def depths(self, queues: Mapping[str, str]) -> dict[str, int]:
        """Ready messages per existing queue (``{key: queue name}`` → ``{key: count}``); a
        missing queue is left out and costs a fresh channel."""
        result: dict[str, int] = {}
        pending = list(queues.items())
        while pending:
            async with self._scratch() as channel:
                while pending:
                    key, name = pending.pop(0)
                    try:
                        result[key] = await _depth(channel, name)
                    except ChannelNotFoundEntity:
                        break  # the 404 closed this channel; go on with a new one
        return result

    def _to_dead_letter(self, message: AbstractIncomingMessage) -> DeadLetter:
        headers: dict[str, Any] = dict(message.headers or {})
        reason = str(
            headers.get(topo.H_REASON) or headers.get("x-first-death-reason") or "rejected"
        )
        default_attempts = self._bus.policy.delivery_limit if reason == "delivery_limit" else 0
        return DeadLetter(
            message_id=message.message_id or "",
            topic=str(headers.get(topo.H_TOPIC) or ""),
            routing_key=str(headers.get(topo.H_UNIT) or message.routing_key or ""),
            reason=reason,
            attempts=int(headers.get(topo.H_ATTEMPTS) or default_attempts),
            body=message.body,
            headers=user_headers(headers),
            error=str(headers.get(topo.H_ERROR) or ""),
        )


async def _depth(channel: AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    result = queue.declaration_result
    return int(result.message_count or 0)


async def _scan(queue: Any, message_id: str) -> list[AbstractIncomingMessage]:
    found: list[AbstractIncomingMessage] = []
    for _ in range(MAX_SCAN):
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        if message.message_id == message_id:
            found.append(message)
    return found
