"""The sharded RabbitMQ bus (``[bus] shards``): units share a few delivery queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.rabbit import broker_queues

from gateway.bus import BusDelivery, open_bus
from gateway.bus import topology as topo
from gateway.bus.local import LocalBus
from gateway.bus.rabbit_sharded import ShardedRabbitBus
from gateway.errors import BusUnavailable, ConfigError, DirectoryError, StoreUnavailable
from tests.support.buses import FAST, LIMIT, Inbox, dead_with, new_unit

SHARDS = 3


def same_shard_units(count: int) -> list[str]:
    """``count`` new unit codes that share one delivery queue."""
    first = new_unit()
    found = [first]
    while len(found) < count:
        code = new_unit()
        if topo.shard_of(code, SHARDS) == topo.shard_of(first, SHARDS):
            found.append(code)
    return found


@pytest.fixture
def make_bus(amqp_module_url: str) -> Callable[..., ShardedRabbitBus]:
    """A sharded bus factory on this module's vhost (each test leaves its queues empty)."""

    def make(**opts: Any) -> ShardedRabbitBus:
        bus = open_bus(amqp_module_url, confirm_timeout=5.0, shards=SHARDS, **{**FAST, **opts})
        assert isinstance(bus, ShardedRabbitBus)
        return bus

    return make


@pytest.fixture
async def bus(make_bus: Callable[..., ShardedRabbitBus]) -> AsyncIterator[ShardedRabbitBus]:
    """A connected sharded bus, closed after the test."""
    bus = make_bus()
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.close()


async def test_many_units_cost_only_the_delivery_queues(
    bus: ShardedRabbitBus, amqp_module_url: str
) -> None:
    """Forty units consumed: the broker holds the shard queues and the dead queue, no more."""
    units = [new_unit() for _ in range(40)]
    inbox = Inbox()
    await bus.declare_mailboxes(units)
    for unit in units:
        await bus.consume(unit, inbox)
    for i, unit in enumerate(units):
        await bus.publish("documents", unit, b"<doc/>", message_id=f"m-{i}")
    await inbox.wait(lambda: len(inbox.done) == len(units))
    assert sorted((d.message_id, d.routing_key) for d in inbox.done) == sorted(
        (f"m-{i}", unit) for i, unit in enumerate(units)
    )
    assert all(d.topic == "documents" and dict(d.headers) == {} for d in inbox.done)
    names = set(broker_queues(amqp_module_url))
    assert names == {topo.shard_queue(s) for s in range(SHARDS)} | {topo.DEAD_QUEUE}


async def test_each_unit_gets_only_its_own_messages_in_order(bus: ShardedRabbitBus) -> None:
    """Two units on one delivery queue: each handler sees its unit's messages, in order."""
    first, second = same_shard_units(2)
    inboxes = {first: Inbox(), second: Inbox()}
    for unit, inbox in inboxes.items():
        await bus.consume(unit, inbox)
    for i in range(30):
        await bus.publish("documents", first, b"a", message_id=f"a-{i}")
        await bus.publish("receipts", second, b"b", message_id=f"b-{i}")
    for inbox in inboxes.values():
        await inbox.wait(lambda inbox=inbox: len(inbox.done) == 30)
    assert [d.message_id for d in inboxes[first].done] == [f"a-{i}" for i in range(30)]
    assert [d.message_id for d in inboxes[second].done] == [f"b-{i}" for i in range(30)]
    assert {d.routing_key for d in inboxes[second].done} == {second}


async def test_undeclared_unit_is_unroutable_and_bad_codes_refused(bus: ShardedRabbitBus) -> None:
    """Publishing to a unit nobody declared raises bus.unroutable; a bad code refuses all."""
    with pytest.raises(BusUnavailable) as caught:
        await bus.publish("documents", new_unit(), b"x", message_id="m-nowhere")
    assert caught.value.code == "bus.unroutable"
    good = new_unit()
    with pytest.raises(DirectoryError):
        await bus.declare_mailboxes([good, "not a unit code"])
    with pytest.raises(BusUnavailable):
        await bus.publish("documents", good, b"x", message_id="m-half")
    for key in ("#", topo.shard_queue(0), "lower"):
        with pytest.raises(DirectoryError):
            await bus.publish("documents", key, b"x", message_id="m-inj")


async def test_cancelled_unit_gives_its_running_message_back(bus: ShardedRabbitBus) -> None:
    """A unit's consumer cancelled mid-handler: the message returns to the next consumer."""
    unit, other = same_shard_units(2)
    release = asyncio.Event()

    async def hang(_: BusDelivery) -> None:
        await release.wait()

    first, bystander = Inbox(hang), Inbox()
    subscription = await bus.consume(unit, first)
    await bus.consume(other, bystander)
    await bus.publish("documents", unit, b"x", message_id="m-hang")
    await first.wait(lambda: len(first.seen) == 1)
    await subscription.cancel(drain_timeout=0.1)
    assert first.done == []
    second = Inbox()
    await bus.consume(unit, second)
    await second.wait(lambda: len(second.done) == 1)
    again = second.done[0]
    assert again.message_id == "m-hang" and again.redelivered and again.attempt >= 2
    await bus.publish("documents", other, b"y", message_id="m-other")
    await bystander.wait(lambda: len(bystander.done) == 1)
    assert [d.message_id for d in bystander.done] == ["m-other"]


async def test_poison_is_dead_lettered_with_its_unit_and_can_be_retried(
    bus: ShardedRabbitBus,
) -> None:
    """A failing message is dead-lettered under its unit (not the shard) and retried to it."""
    unit, healed = new_unit(), asyncio.Event()

    async def until_healed(d: BusDelivery) -> None:
        if not healed.is_set():
            raise StoreUnavailable("down")

    inbox = Inbox(until_healed)
    await bus.consume(unit, inbox)
    await bus.publish("documents", unit, b"p", message_id="m-poison", headers={"h": "1"})
    dead = await dead_with(bus, "m-poison")
    assert (dead.routing_key, dead.topic, dead.reason, dead.attempts) == (
        unit,
        "documents",
        "delivery_limit",
        LIMIT,
    )
    assert dict(dead.headers) == {"h": "1"}
    healed.set()
    assert await bus.retry_dead_letter("m-poison")
    await inbox.wait(lambda: len(inbox.done) == 1)
    assert (inbox.done[0].routing_key, dict(inbox.done[0].headers)) == (unit, {"h": "1"})


async def test_message_for_a_unit_without_handler_here_is_retried_then_dead(
    bus: ShardedRabbitBus,
) -> None:
    """Declared but consumed by no one in this process: retried, then dead-lettered."""
    consumed, orphan = same_shard_units(2)
    inbox = Inbox()
    await bus.consume(consumed, inbox)
    await bus.declare_mailbox(orphan)
    await bus.publish("documents", orphan, b"x", message_id="m-orphan")
    await bus.publish("documents", consumed, b"y", message_id="m-fine")
    dead = await dead_with(bus, "m-orphan")
    assert (dead.routing_key, dead.error) == (orphan, "bus.no_consumer")
    assert dead.reason == "delivery_limit"
    assert [d.message_id for d in inbox.done] == ["m-fine"]


async def test_queue_depths_name_the_delivery_queues(
    make_bus: Callable[..., ShardedRabbitBus],
) -> None:
    """Depths are per delivery queue: what waits on a shard nobody consumes yet."""
    bus = make_bus()
    await bus.connect()
    try:
        unit = new_unit()
        await bus.declare_mailbox(unit)
        for i in range(4):
            await bus.publish("documents", unit, b"x", message_id=f"m-d-{i}")
        shard = topo.shard_queue(topo.shard_of(unit, SHARDS))
        assert await bus.queue_depths([unit]) == {shard: 4}
        everything = await bus.queue_depths()
        assert set(everything) == {topo.shard_queue(s) for s in range(SHARDS)}
        assert everything[shard] == 4 and sum(everything.values()) == 4
    finally:
        await bus.close()


async def test_a_restarted_bus_finds_what_waited_on_its_shard(
    make_bus: Callable[..., ShardedRabbitBus],
) -> None:
    """Messages published while no process consumed are delivered after a restart."""
    unit = new_unit()
    before = make_bus()
    await before.connect()
    try:
        await before.declare_mailbox(unit)
        await before.publish("receipts", unit, b"r", message_id="m-wait")
    finally:
        await before.close()
    after, inbox = make_bus(), Inbox()
    await after.connect()
    try:
        await after.consume(unit, inbox)
        await inbox.wait(lambda: len(inbox.done) == 1)
        assert (inbox.done[0].message_id, inbox.done[0].topic) == ("m-wait", "receipts")
    finally:
        await after.close()


@pytest.mark.parametrize("shards", [-1, topo.MAX_SHARDS + 1, True, 2.5])
def test_shards_out_of_range_is_a_config_error(shards: Any) -> None:
    """A shard count outside 0..MAX_SHARDS is refused with config.invalid."""
    with pytest.raises(ConfigError) as caught:
        open_bus("amqp://guest:guest@127.0.0.1/none", shards=shards)
    assert caught.value.code == "config.invalid"


def test_the_local_bus_ignores_shards() -> None:
    """The in-process bus has nothing to shard: the option is accepted and ignored."""
    assert isinstance(open_bus("local://", shards=16), LocalBus)
