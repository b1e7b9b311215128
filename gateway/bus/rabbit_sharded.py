"""The RabbitMQ bus with units sharded over a fixed set of delivery queues (``[bus] shards``).

A quorum queue per unit costs the broker file handles and memory and the hub a declare, two
bindings and a consumer per unit at every start: fine for a province (~200 units), not for
10,000 (see "Directory" in ``docs/benchmarks.md``). Here ``shards`` quorum queues
``lienthong.delivery.NN`` carry every unit's messages instead:

- a message for unit U goes to queue ``crc32(U) mod shards`` (routing key = the queue's
  name) with U in the ``x-lienthong-unit`` header; the handler still sees U as the
  delivery's ``routing_key``, so one unit's messages keep their order on one queue;
- :meth:`declare_mailbox` only records the unit in this process (no broker call), and
  publishing to a unit no one declared here is still ``bus.unroutable``;
- one consumer per delivery queue (started with the first unit of that shard) hands each
  message to the handler registered for its unit; a message for a unit this process has no
  handler for (yet: a unit added by another process, before the directory sync) is retried
  with backoff like any ``Recoverable`` error (``bus.no_consumer``) and dead-lettered after
  the delivery limit;
- cancelling a unit's consumer waits for (then cancels) that unit's running handlers only;
  their messages go back to the queue;
- dead-lettering, retries, expiry and confirms are those of :class:`RabbitBus`;
- :meth:`queue_depths` reports delivery queues (``lienthong.delivery.NN``), not units.

The number of shards is part of the topology: change it only on an empty bus (a unit's
messages still on its old queue would wait there for a consumer that never comes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from gateway.bus import topology as topo
from gateway.bus.base import BusDelivery, Handler
from gateway.bus.rabbit import RabbitBus
from gateway.bus.rabbit_consumer import RabbitConsumer
from gateway.envelope.model import check_unit_code
from gateway.errors import BusUnavailable, ConfigError, UnroutableError

__all__ = ["ShardedRabbitBus"]


class _UnitSubscription:
    """One unit's handler on its shard's consumer; see :class:`~gateway.bus.base.Consumer`."""

    def __init__(self, bus: ShardedRabbitBus, unit: str, handler: Handler) -> None:
        self._bus = bus
        self._unit = unit
        self.handler = handler
        self.running: set[asyncio.Task[Any]] = set()

    @property
    def unit(self) -> str:
        """The unit whose messages this takes."""
        return self._unit

    async def cancel(self, drain_timeout: float | None = None) -> None:
        """Take no more messages; wait for running handlers, give back the rest."""
        if not self._bus.unsubscribe(self):
            return
        timeout = self._bus.drain_timeout if drain_timeout is None else drain_timeout
        if self.running:
            _, late = await asyncio.wait(set(self.running), timeout=timeout)
            for task in late:
                task.cancel()  # the shard consumer nacks the message back (requeue)
            await asyncio.gather(*late, return_exceptions=True)


class ShardedRabbitBus(RabbitBus):
    """:class:`RabbitBus` over ``shards`` shared delivery queues; see the module docstring."""

    def __init__(self, url: str, *, shards: int, **options: Any) -> None:
        whole = isinstance(shards, int) and not isinstance(shards, bool)
        if not whole or not 1 <= shards <= topo.MAX_SHARDS:
            raise ConfigError(
                f"[bus] shards: 0 (a queue per unit) or 1..{topo.MAX_SHARDS}, not {shards!r}",
                code="config.invalid",
            )
        super().__init__(url, **options)
        self.shards = shards
        self._units: dict[str, list[_UnitSubscription]] = {}
        self._shard_consumers: dict[int, RabbitConsumer] = {}
        self._starting: dict[int, asyncio.Lock] = {}

    async def _open_channels(self, conn: AbstractRobustConnection) -> None:
        await super()._open_channels(conn)
        pub = self._require(self._pub)
        for shard in range(self.shards):
            name = topo.shard_queue(shard)
            queue = await self._declare_queue(pub, name)
            for exchange in self._exchanges.values():
                await self._bounded(queue.bind(exchange, routing_key=name))

    def _route(self, unit: str, message: aio_pika.Message) -> str:
        if unit not in self._declared:
            raise UnroutableError(f"no mailbox for {unit}", message_id=message.message_id)
        message.headers[topo.H_UNIT] = unit
        return topo.shard_queue(topo.shard_of(unit, self.shards))

    async def declare_mailbox(self, unit: str) -> None:
        """Record the unit (its delivery queue exists since :meth:`connect`)."""
        self._declared.add(check_unit_code(unit))

    async def declare_mailboxes(self, units: Sequence[str]) -> None:
        """Record many units; one bad code refuses them all."""
        self._declared.update([check_unit_code(u) for u in units])

    async def consume(self, unit: str, handler: Handler) -> _UnitSubscription:
        """Hand ``unit``'s messages to ``handler`` (starting its shard's consumer if needed)."""
        await self.declare_mailbox(unit)
        subscription = _UnitSubscription(self, unit, handler)
        await self._consume_shard(topo.shard_of(unit, self.shards))
        self._units.setdefault(unit, []).append(subscription)
        return subscription

    async def _consume_shard(self, shard: int) -> None:
        if shard in self._shard_consumers:
            return
        async with self._starting.setdefault(shard, asyncio.Lock()):
            if shard in self._shard_consumers:
                return
            subs = self._subs
            channel = self._require(subs[shard % len(subs)] if subs else None)
            name = topo.shard_queue(shard)
            queue = await self._declare_queue(channel, name)
            consumer = RabbitConsumer(self, name, queue, self._dispatch)
            await self._bounded(consumer.start())
            self._consumers.add(consumer)
            self._shard_consumers[shard] = consumer

    async def _dispatch(self, delivery: BusDelivery) -> None:
        subscriptions = self._units.get(delivery.routing_key)
        if not subscriptions:
            raise BusUnavailable(
                f"no consumer for {delivery.routing_key} in this process",
                code="bus.no_consumer",
                message_id=delivery.message_id,
            )
        subscription = subscriptions[0]
        task = asyncio.current_task()
        assert task is not None
        subscription.running.add(task)
        try:
            await subscription.handler(delivery)
        finally:
            subscription.running.discard(task)

    def unsubscribe(self, subscription: _UnitSubscription) -> bool:
        """Remove ``subscription``; ``False`` if it was removed already."""
        subscriptions = self._units.get(subscription.unit, [])
        if subscription not in subscriptions:
            return False
        subscriptions.remove(subscription)
        if not subscriptions:
            del self._units[subscription.unit]
        return True

    async def queue_depths(self, units: Iterable[str] | None = None) -> dict[str, int]:
        """Ready messages per delivery queue: every shard, or the shards of ``units``."""
        if units is None:
            shards = set(range(self.shards))
        else:
            shards = {topo.shard_of(check_unit_code(u), self.shards) for u in units}
        names = [topo.shard_queue(s) for s in sorted(shards)]
        return await self._dead.depths({name: name for name in names})

    async def close(self) -> None:
        """Drain and cancel every shard consumer, then close the connection."""
        await super().close()
        self._units.clear()
        self._shard_consumers.clear()
