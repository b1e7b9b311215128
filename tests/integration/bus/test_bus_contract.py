"""The bus contract: one suite that LocalBus, RabbitBus and the sharded RabbitBus (real
RabbitMQ) must all pass."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from functools import partial

import pytest

from gateway.bus import Bus, BusDelivery, open_bus
from gateway.bus import topology as topo
from gateway.errors import BusUnavailable, DirectoryError, RoutingError, StoreUnavailable
from tests.support.buses import FAST, LIMIT, Inbox, dead_with, new_unit, one_done, wait_until

#: Delivery queues of the sharded bus under test.
SHARDS = 3


class BusContract:
    """Behaviour every bus implementation must have; subclasses provide ``make_bus``."""

    @pytest.fixture
    def make_bus(self) -> Callable[..., Bus]:
        raise NotImplementedError

    def depth_key(self, unit: str) -> str:
        """What :meth:`Bus.queue_depths` counts ``unit``'s waiting messages under."""
        return unit

    @pytest.fixture
    async def bus(self, make_bus: Callable[..., Bus]) -> AsyncIterator[Bus]:
        bus = make_bus(**FAST)
        await bus.connect()
        try:
            yield bus
        finally:
            await bus.close()

    async def test_round_trip(self, bus: Bus) -> None:
        """A published document and a receipt reach the unit's handler with all fields."""
        unit, inbox = new_unit(), Inbox()
        await bus.consume(unit, inbox)
        await bus.publish("documents", unit, b"<doc/>", message_id="m-1", headers={"k": "v"})
        await bus.publish("receipts", unit, b"<rcpt/>", message_id="r-1")
        await inbox.wait(lambda: len(inbox.done) == 2)
        doc, rcpt = sorted(inbox.done, key=lambda d: d.topic)
        assert (doc.body, doc.message_id, doc.routing_key, doc.topic) == (
            b"<doc/>",
            "m-1",
            unit,
            "documents",
        )
        assert dict(doc.headers) == {"k": "v"}
        assert (doc.attempt, doc.redelivered) == (1, False)
        assert (rcpt.topic, rcpt.message_id, rcpt.body) == ("receipts", "r-1", b"<rcpt/>")

    async def test_declare_many_mailboxes_at_once(self, bus: Bus) -> None:
        """Mailboxes declared together keep what is published to each, for its consumer."""
        units = [new_unit() for _ in range(12)]
        await bus.declare_mailboxes([*units, units[0]])
        for i, unit in enumerate(units):
            await bus.publish("documents", unit, b"<doc/>", message_id=f"m-{i}")
        inboxes = [Inbox() for _ in units]
        for unit, inbox in zip(units, inboxes, strict=True):
            await bus.consume(unit, inbox)
        for i, inbox in enumerate(inboxes):
            await inbox.wait(partial(one_done, inbox))
            assert [(d.message_id, d.routing_key) for d in inbox.done] == [(f"m-{i}", units[i])]
        with pytest.raises(DirectoryError) as info:
            await bus.declare_mailboxes([new_unit(), "not a unit code"])
        assert info.value.code == "directory.bad_unit_code"

    async def test_ack_only_after_handler_returns(self, bus: Bus) -> None:
        """A message whose handler has not returned is given back when the consumer stops."""
        unit, release = new_unit(), asyncio.Event()

        async def hang(_: BusDelivery) -> None:
            await release.wait()

        first = Inbox(hang)
        consumer = await bus.consume(unit, first)
        await bus.publish("documents", unit, b"x", message_id="m-hang")
        await first.wait(lambda: len(first.seen) == 1)
        await consumer.cancel(drain_timeout=0.1)
        assert first.done == []
        second = Inbox()
        await bus.consume(unit, second)
        await second.wait(lambda: len(second.done) == 1)
        again = second.done[0]
        assert again.message_id == "m-hang" and again.redelivered and again.attempt == 2

    async def test_acked_message_is_not_redelivered(self, bus: Bus) -> None:
        """After the handler returned, a new consumer on the mailbox gets nothing."""
        unit, first = new_unit(), Inbox()
        consumer = await bus.consume(unit, first)
        await bus.publish("documents", unit, b"x", message_id="m-once")
        await first.wait(lambda: len(first.done) == 1)
        await consumer.cancel()
        second = Inbox()
        await bus.consume(unit, second)
        await asyncio.sleep(0.3)
        assert second.seen == []
        assert (await bus.queue_depths([unit])).get(self.depth_key(unit)) == 0

    async def test_recoverable_error_is_retried_with_backoff(self, bus: Bus) -> None:
        """A handler raising Recoverable sees the message again after a delay, then succeeds."""
        unit, times = new_unit(), []

        async def flaky(d: BusDelivery) -> None:
            times.append(time.monotonic())
            if d.attempt < 3:
                raise StoreUnavailable("db down")

        inbox = Inbox(flaky)
        await bus.consume(unit, inbox)
        await bus.publish("documents", unit, b"x", message_id="m-flaky")
        await inbox.wait(lambda: len(inbox.done) == 1)
        assert [d.attempt for d in inbox.seen] == [1, 2, 3]
        assert times[1] - times[0] >= 0.04 and times[2] - times[1] >= 0.09
        assert not [d for d in await bus.dead_letters(1000) if d.message_id == "m-flaky"]

    async def test_poison_is_dead_lettered_while_others_flow(self, bus: Bus) -> None:
        """A message failing every attempt is dead-lettered after K attempts; others pass."""
        unit = new_unit()

        async def poison(d: BusDelivery) -> None:
            if d.message_id == "m-poison":
                raise StoreUnavailable("always")

        inbox = Inbox(poison)
        await bus.consume(unit, inbox)
        await bus.publish("documents", unit, b"p", message_id="m-poison")
        for i in range(20):
            await bus.publish("documents", unit, b"ok", message_id=f"m-good-{i}")
        await inbox.wait(lambda: len(inbox.done) == 20)
        dead = await dead_with(bus, "m-poison")
        tries = [d.attempt for d in inbox.seen if d.message_id == "m-poison"]
        assert tries == [1, 2, 3]
        assert (dead.reason, dead.attempts, dead.error) == (
            "delivery_limit",
            LIMIT,
            "store.unavailable",
        )
        assert (dead.topic, dead.routing_key, dead.body) == ("documents", unit, b"p")
        await wait_until(lambda: bus.dead_letter_count(), lambda n: n >= 1)

    async def test_non_recoverable_error_dead_letters_at_once(self, bus: Bus) -> None:
        """Any other exception dead-letters the message on the first attempt."""
        unit = new_unit()

        async def refuse(_: BusDelivery) -> None:
            raise ValueError("bad bytes")

        inbox = Inbox(refuse)
        await bus.consume(unit, inbox)
        await bus.publish("documents", unit, b"x", message_id="m-bad")
        dead = await dead_with(bus, "m-bad")
        assert (dead.reason, dead.error) == ("rejected", "ValueError")
        assert len(inbox.seen) == 1

    async def test_dead_letter_retry_and_discard(self, bus: Bus) -> None:
        """An operator can republish a dead letter to its mailbox, or drop it for good."""
        unit, healed = new_unit(), asyncio.Event()

        async def until_healed(_: BusDelivery) -> None:
            if not healed.is_set():
                raise ValueError("not yet")

        inbox = Inbox(until_healed)
        await bus.consume(unit, inbox)
        await bus.publish("documents", unit, b"a", message_id="m-dl-a", headers={"h": "1"})
        await bus.publish("documents", unit, b"b", message_id="m-dl-b")
        await dead_with(bus, "m-dl-a")
        await dead_with(bus, "m-dl-b")
        healed.set()
        assert await bus.retry_dead_letter("m-dl-a")
        await inbox.wait(lambda: len(inbox.done) == 1)
        assert inbox.done[0].message_id == "m-dl-a" and dict(inbox.done[0].headers) == {"h": "1"}
        assert await bus.discard_dead_letter("m-dl-b")
        ids = {d.message_id for d in await bus.dead_letters(1000)}
        assert not ids & {"m-dl-a", "m-dl-b"}
        assert not await bus.discard_dead_letter("m-dl-b")
        assert not await bus.retry_dead_letter("m-nothing")

    async def test_unroutable_publish_raises(self, bus: Bus) -> None:
        """Publishing to a unit without a mailbox raises bus.unroutable and delivers nothing."""
        unit = new_unit()
        with pytest.raises(BusUnavailable) as caught:
            await bus.publish("documents", unit, b"x", message_id="m-lost")
        assert caught.value.code == "bus.unroutable"
        inbox = Inbox()
        await bus.consume(unit, inbox)
        await asyncio.sleep(0.3)
        assert inbox.seen == []

    async def test_expired_message_is_not_delivered(self, bus: Bus) -> None:
        """A message past its expiry never reaches a handler and is dead-lettered as expired."""
        unit = new_unit()
        await bus.declare_mailbox(unit)
        await bus.publish("documents", unit, b"x", message_id="m-exp", expiration=0.2)
        await bus.publish("documents", unit, b"y", message_id="m-fresh", expiration=60)
        await asyncio.sleep(0.5)
        inbox = Inbox()
        await bus.consume(unit, inbox)
        await inbox.wait(lambda: len(inbox.done) == 1)
        await asyncio.sleep(0.2)
        assert [d.message_id for d in inbox.seen] == ["m-fresh"]
        assert (await dead_with(bus, "m-exp")).reason == "expired"

    @pytest.mark.parametrize("key", ["#", "*", "A.#", "A.*", "lower", "A..B", "", "A B"])
    async def test_routing_key_injection_refused(self, bus: Bus, key: str) -> None:
        """A routing key that is not a unit code is refused before touching the broker."""
        with pytest.raises(DirectoryError):
            await bus.publish("documents", key, b"x", message_id="m-inj")
        with pytest.raises(DirectoryError):
            await bus.declare_mailbox(key)

    async def test_unknown_topic_and_reserved_headers_refused(self, bus: Bus) -> None:
        """Only the two topics exist, and x- headers belong to the bus."""
        unit = new_unit()
        await bus.declare_mailbox(unit)
        with pytest.raises(RoutingError):
            await bus.publish("everything", unit, b"x", message_id="m-t")
        with pytest.raises(ValueError, match="reserved"):
            await bus.publish("documents", unit, b"x", message_id="m-h", headers={"x-death": "1"})

    async def test_many_concurrent_publishes_each_consumed_once(self, bus: Bus) -> None:
        """Hundreds of concurrent publishes are all confirmed and each consumed exactly once."""
        units = [new_unit() for _ in range(3)]
        inbox = Inbox()
        for unit in units:
            await bus.consume(unit, inbox)
        ids = [f"m-burst-{i}" for i in range(300)]
        await asyncio.gather(
            *(
                bus.publish("documents", units[i % 3], b"x", message_id=mid)
                for i, mid in enumerate(ids)
            )
        )
        await inbox.wait(lambda: len(inbox.done) >= len(ids), timeout=20)
        await asyncio.sleep(0.2)
        counts = Counter(d.message_id for d in inbox.done)
        assert set(counts) == set(ids) and set(counts.values()) == {1}

    async def test_queue_depths(self, bus: Bus) -> None:
        """Depth reports the messages waiting in a mailbox nobody consumes."""
        unit, idle = new_unit(), new_unit()
        await bus.declare_mailbox(unit)
        await bus.declare_mailbox(idle)
        for i in range(5):
            await bus.publish("documents", unit, b"x", message_id=f"m-d-{i}")
        depths = await bus.queue_depths([unit, idle, new_unit()])
        assert depths == {unit: 5, idle: 0}
        assert (await bus.queue_depths())[unit] == 5


class TestLocalBus(BusContract):
    """The in-process bus."""

    @pytest.fixture
    def make_bus(self) -> Callable[..., Bus]:
        return lambda **opts: open_bus("local://", **opts)


class TestRabbitBus(BusContract):
    """The RabbitMQ bus on a fresh vhost of the real broker."""

    @pytest.fixture
    def make_bus(self, amqp_module_url: str) -> Callable[..., Bus]:
        return lambda **opts: open_bus(amqp_module_url, confirm_timeout=5.0, **opts)


class TestShardedRabbitBus(BusContract):
    """The sharded RabbitMQ bus (``[bus] shards``): units share a few delivery queues, so
    each test has a vhost of its own, and depths are counted per delivery queue."""

    @pytest.fixture
    def make_bus(self, amqp_url: str) -> Callable[..., Bus]:
        return lambda **opts: open_bus(amqp_url, confirm_timeout=5.0, shards=SHARDS, **opts)

    def depth_key(self, unit: str) -> str:
        return topo.shard_queue(topo.shard_of(unit, SHARDS))

    async def test_queue_depths(self, bus: Bus) -> None:
        """Depth reports the messages waiting for a unit nobody consumes under its delivery
        queue, asked for by unit or with all the others."""
        unit = new_unit()
        await bus.declare_mailbox(unit)
        for i in range(5):
            await bus.publish("documents", unit, b"x", message_id=f"m-d-{i}")
        assert await bus.queue_depths([unit]) == {self.depth_key(unit): 5}
        everything = await bus.queue_depths()
        assert everything[self.depth_key(unit)] == 5 and sum(everything.values()) == 5
