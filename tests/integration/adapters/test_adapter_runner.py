"""The adapter runner against a real hub: ack after success, backoff, breaker, loops, health."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from adapter_world import A, B, send_document, wait_pending

from adapters.base import InboundItem
from adapters.memory import MemoryAdapter
from adapters.runner import AdapterRunner, CircuitOpen
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.errors import AdapterUnavailable
from gateway.hub import Hub


def runner_with(hub: Hub, adapter: MemoryAdapter, **options: object) -> AdapterRunner:
    entry = AdapterConfig("memory", B, {"wait": 0, "retry_base": 0.001, **options})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    runner.build()
    return runner


async def test_no_ack_while_the_send_keeps_failing(hub: Hub) -> None:
    """Recoverable failures beyond the attempts leave the item pending for later."""
    await send_document(hub)
    await wait_pending(hub, B)
    adapter = MemoryAdapter(unit=B)
    adapter.fail_next(AdapterUnavailable("down"), 3)
    runner = runner_with(hub, adapter, retry_attempts=3, breaker_threshold=10)
    with contextlib.suppress(AdapterUnavailable):
        await runner.run_outbound(runner.slots[0])
    assert adapter.attempts == 3
    assert len(await hub.mailbox(Principal(unit=B), wait=0, limit=10)) == 1
    await runner.run_outbound(runner.slots[0])
    assert len(adapter.delivered) == 1
    assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []


async def test_backoff_waits_grow(hub: Hub) -> None:
    """Each retry waits a jittered delay under base * 2**n (capped)."""
    await send_document(hub)
    await wait_pending(hub, B)
    adapter = MemoryAdapter(unit=B)
    adapter.fail_next(AdapterUnavailable("down"), 2)
    runner = runner_with(hub, adapter, retry_base=0.05, retry_cap=1.0, breaker_threshold=10)
    waits: list[float] = []
    real = runner._pause

    async def record(seconds: float) -> None:
        waits.append(seconds)
        await real(0)

    runner._pause = record  # type: ignore[method-assign]
    await runner.run_outbound(runner.slots[0])
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.05 and 0 <= waits[1] <= 0.1


async def test_breaker_opens_then_half_opens(hub: Hub) -> None:
    """N failures open the breaker (no more calls); after the cool-down one trial closes it."""
    await send_document(hub)
    await wait_pending(hub, B)
    adapter = MemoryAdapter(unit=B)
    adapter.fail_next(AdapterUnavailable("down"), 3)
    runner = runner_with(hub, adapter, retry_attempts=10, breaker_threshold=3, breaker_cooldown=0.2)
    slot = runner.slots[0]
    with contextlib.suppress(CircuitOpen):
        await runner.run_outbound(slot)
    assert adapter.attempts == 3
    assert slot.breaker.state == "open"
    assert (await runner.health())[slot.label]["state"] == "open"
    with contextlib.suppress(CircuitOpen):
        await runner.run_outbound(slot)
    assert adapter.attempts == 3  # open: nothing went out
    await asyncio.sleep(0.25)
    assert slot.breaker.state == "half_open"
    await runner.run_outbound(slot)
    assert slot.breaker.state == "closed"
    assert len(adapter.delivered) == 1
    assert (await runner.health())[slot.label]["state"] == "ok"


async def test_loops_deliver_and_take_in_until_stopped(hub: Hub, tmp_path: Path) -> None:
    """start(): documents flow out and inbound items go in; stop() closes the adapter."""
    adapter = MemoryAdapter(unit=B)
    adapter.inject(InboundItem(key="k1", kind="document", metadata={"to": [A], "subject": "Lên"}))
    entry = AdapterConfig("memory", B, {"wait": 0.2, "poll_interval": 0.05})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    await runner.start()
    try:
        await send_document(hub)
        for _ in range(200):
            if adapter.delivered and "k1" in adapter.settled:
                break
            await asyncio.sleep(0.02)
    finally:
        await runner.stop(grace=2)
    assert len(adapter.delivered) == 1
    assert adapter.settled["k1"].accepted
    assert (await wait_pending(hub, A))[0]["subject"] == "Lên"
    assert adapter.closed and adapter.close_count == 1


async def test_refused_inbound_is_settled_as_refused(hub: Hub) -> None:
    """An inbound document the hub refuses is settled with the hub's code, not retried."""
    adapter = MemoryAdapter(unit=B)
    adapter.inject(InboundItem(key="bad", kind="document", metadata={"to": [A]}))
    runner = runner_with(hub, adapter)
    await runner.run_inbound(runner.slots[0])
    assert adapter.settled["bad"].code == "request.missing_field"
    assert await adapter.poll() == []


async def test_registry_builds_from_config(hub: Hub, tmp_path: Path) -> None:
    """Without a factory the runner resolves names through the registry."""
    entry = AdapterConfig("folder", B, {"path": str(tmp_path / "d"), "wait": 0})
    runner = AdapterRunner(hub, [entry])
    [slot] = runner.build()
    assert type(slot.adapter).__name__ == "FolderAdapter"
    assert (await runner.health())["folder:" + B]["state"] == "ok"
