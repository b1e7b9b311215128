"""RabbitBus under network faults, injected by a TCP proxy between the bus and RabbitMQ."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from support.tcpproxy import TcpProxy
from yarl import URL

from gateway.bus import BusDelivery
from gateway.bus.rabbit import RabbitBus
from gateway.errors import BusUnavailable

FAST = {"delivery_limit": 3, "backoff_base": 0.05, "backoff_max": 0.2, "drain_timeout": 1.0}


def new_unit() -> str:
    """A unit code no other test uses."""
    return f"F{secrets.token_hex(4).upper()}.01"


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the real broker."""
    p = TcpProxy("127.0.0.1", 5672)
    await p.start()
    yield p
    await p.close()


@pytest.fixture
async def direct(amqp_module_url: str) -> AsyncIterator[RabbitBus]:
    """A bus straight to the broker (no faults), to inspect what really arrived."""
    bus = RabbitBus(amqp_module_url, confirm_timeout=5.0, **FAST)
    await bus.connect()
    yield bus
    await bus.close()


def via(url: str, proxy: TcpProxy, **query: int) -> str:
    """``url`` with its port replaced by the proxy's."""
    return str(URL(url).with_port(proxy.port).update_query(query))


@pytest.fixture
async def proxied(amqp_module_url: str, proxy: TcpProxy) -> AsyncIterator[Callable[..., RabbitBus]]:
    """Make buses whose connection goes through ``proxy``; all closed after the test."""
    made: list[RabbitBus] = []

    def make(**opts: float) -> RabbitBus:
        query = {"heartbeat": int(opts.pop("heartbeat"))} if "heartbeat" in opts else {}
        settings = {"confirm_timeout": 3.0, **FAST, **opts}
        bus = RabbitBus(via(amqp_module_url, proxy, **query), reconnect_interval=0.2, **settings)
        made.append(bus)
        return bus

    yield make
    proxy.resume()
    for bus in made:
        await bus.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float) -> float:
    """Poll ``check`` until true; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"not true within {timeout}s")


async def publish_ok(bus: RabbitBus, unit: str, mid: str) -> bool:
    """True if the publish was confirmed."""
    try:
        await bus.publish("documents", unit, b"x", message_id=mid)
    except BusUnavailable:
        return False
    return True


def cut_when_done(burst: list[asyncio.Task[bool]], proxy: TcpProxy, count: int) -> None:
    """Reset the proxy's connections the moment ``count`` tasks of ``burst`` have finished.

    Done callbacks, not polling: a fast host confirms a whole burst between two polls.
    """
    finished = 0

    def on_done(_: asyncio.Task[bool]) -> None:
        nonlocal finished
        finished += 1
        if finished == count:
            proxy.cut()

    for task in burst:
        task.add_done_callback(on_done)


async def drain_ids(bus: RabbitBus, unit: str, idle: float = 0.7) -> list[str]:
    """Consume the mailbox until it stays idle; the message ids in arrival order."""
    ids: list[str] = []

    async def take(d: BusDelivery) -> None:
        ids.append(d.message_id)

    consumer = await bus.consume(unit, take)
    seen = -1
    while seen != len(ids):
        seen = len(ids)
        await asyncio.sleep(idle)
    await consumer.cancel()
    return ids


async def test_cut_during_burst_loses_no_confirmed_message(
    proxied: Callable[..., RabbitBus], proxy: TcpProxy, direct: RabbitBus
) -> None:
    """Connections reset mid-burst: every confirmed publish is in the mailbox, none hang."""
    bus = proxied()
    await bus.connect()
    unit = new_unit()
    await bus.declare_mailbox(unit)
    ids = [f"cut-{i}" for i in range(1500)]
    started = time.monotonic()
    burst = [asyncio.create_task(publish_ok(bus, unit, mid)) for mid in ids]
    cut_when_done(burst, proxy, count=100)
    results = await asyncio.gather(*burst)
    assert time.monotonic() - started < 3.0 + 10
    confirmed = {mid for mid, ok in zip(ids, results, strict=True) if ok}
    assert 100 <= len(confirmed) < len(ids), "the cut must hit publishes in flight"
    await eventually(lambda: publish_ok(bus, unit, "cut-after"), timeout=10)
    delivered = set(await drain_ids(direct, unit))
    assert confirmed <= delivered
    assert delivered <= {*ids, "cut-after"} and "cut-after" in delivered


async def test_blackhole_is_detected_and_publish_never_hangs(
    proxied: Callable[..., RabbitBus], proxy: TcpProxy
) -> None:
    """Bytes silently dropped: publish fails within the confirm timeout, heartbeats notice."""
    bus = proxied(heartbeat=1, confirm_timeout=2.0)
    await bus.connect()
    unit = new_unit()
    await bus.declare_mailbox(unit)
    assert await publish_ok(bus, unit, "bh-before")
    proxy.blackhole()
    started = time.monotonic()
    with pytest.raises(BusUnavailable) as caught:
        await bus.publish("documents", unit, b"x", message_id="bh-during")
    assert time.monotonic() - started < 2.5
    assert caught.value.code in ("bus.timeout", "bus.unavailable")
    # aiormq closes a connection after 3 × (heartbeat + 1) s without a frame.
    detected = await eventually(lambda: _async(not bus.is_connected), timeout=10)
    assert detected < 8.5
    proxy.resume()
    await eventually(lambda: publish_ok(bus, unit, "bh-after"), timeout=10)


async def test_queued_messages_survive_a_reconnect(
    proxied: Callable[..., RabbitBus], proxy: TcpProxy, direct: RabbitBus
) -> None:
    """N persistent messages queued before the broker 'went away' are all there after."""
    bus = proxied()
    await bus.connect()
    unit = new_unit()
    await bus.declare_mailbox(unit)
    ids = [f"keep-{i}" for i in range(50)]
    await asyncio.gather(*(bus.publish("documents", unit, b"x", message_id=m) for m in ids))
    proxy.down()
    await asyncio.sleep(1.0)
    with pytest.raises(BusUnavailable):
        await bus.publish("documents", unit, b"x", message_id="keep-down")
    proxy.resume()
    await eventually(lambda: _async(bus.is_connected), timeout=10)
    assert sorted(await drain_ids(bus, unit)) == sorted(ids)


async def test_consumer_resumes_after_reconnect_and_stale_ack_is_harmless(
    proxied: Callable[..., RabbitBus], proxy: TcpProxy, direct: RabbitBus
) -> None:
    """A handler finishing after the connection died cannot ack; the message comes again."""
    bus = proxied()
    await bus.connect()
    unit, release = new_unit(), asyncio.Event()
    seen: list[BusDelivery] = []

    async def slow(d: BusDelivery) -> None:
        seen.append(d)
        if len(seen) == 1:
            await release.wait()

    await bus.consume(unit, slow)
    await direct.publish("documents", unit, b"x", message_id="stale-1")
    await eventually(lambda: _async(len(seen) == 1), timeout=5)
    proxy.cut()
    await asyncio.sleep(0.3)
    release.set()  # the ack now goes to a dead channel: logged, not raised
    await eventually(lambda: _async(len(seen) >= 2), timeout=10)
    assert seen[1].message_id == "stale-1" and seen[1].redelivered
    await direct.publish("documents", unit, b"y", message_id="stale-2")
    await eventually(lambda: _async(any(d.message_id == "stale-2" for d in seen)), timeout=10)


async def test_connect_to_a_dead_broker_fails_in_bounded_time(
    amqp_module_url: str, proxy: TcpProxy
) -> None:
    """connect() against a broker that is down raises BusUnavailable, it does not hang."""
    proxy.down()
    bus = RabbitBus(via(amqp_module_url, proxy), confirm_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(BusUnavailable):
        await bus.connect()
    assert time.monotonic() - started < 3.0
    assert not bus.is_connected


async def _async(value: bool) -> bool:
    return value


async def test_sharded_consumer_loses_nothing_across_a_cut(
    amqp_module_url: str, proxy: TcpProxy
) -> None:
    """Shared delivery queues: connections reset mid-burst, every confirmed publish still
    reaches its unit's handler once the robust connection has restored the shard consumers."""
    from gateway.bus.rabbit_sharded import ShardedRabbitBus

    bus = ShardedRabbitBus(
        via(amqp_module_url, proxy), shards=2, reconnect_interval=0.2, confirm_timeout=3.0, **FAST
    )
    await bus.connect()
    try:
        units = [new_unit() for _ in range(4)]
        got: dict[str, set[str]] = {u: set() for u in units}
        for unit in units:

            async def take(d: BusDelivery, unit: str = unit) -> None:
                assert d.routing_key == unit
                got[unit].add(d.message_id)

            await bus.consume(unit, take)
        ids = [(units[i % 4], f"sh-{i}") for i in range(800)]
        burst = [asyncio.create_task(publish_ok(bus, u, mid)) for u, mid in ids]
        cut_when_done(burst, proxy, count=100)
        results = await asyncio.gather(*burst)
        confirmed = {(u, mid) for (u, mid), ok in zip(ids, results, strict=True) if ok}
        assert 100 <= len(confirmed) < len(ids), "the cut must hit publishes in flight"
        await eventually(lambda: publish_ok(bus, units[0], "sh-after"), timeout=10)

        async def all_there() -> bool:
            delivered = {(u, m) for u, ms in got.items() for m in ms}
            return confirmed <= delivered and "sh-after" in got[units[0]]

        await eventually(all_there, timeout=15)
    finally:
        proxy.resume()
        await bus.close()
