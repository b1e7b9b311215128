"""Helpers of the bus tests (the shared contract and the sharded bus's own tests): fast
retry settings, a fresh unit code, a recording handler, polls for dead letters and counts."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.bus import Bus, BusDelivery

__all__ = ["FAST", "LIMIT", "Inbox", "dead_with", "new_unit", "one_done", "wait_until"]

LIMIT = 3
FAST: dict[str, Any] = {
    "delivery_limit": LIMIT,
    "backoff_base": 0.05,
    "backoff_max": 0.2,
    "drain_timeout": 2.0,
}


def new_unit() -> str:
    """A unit code no other test uses (tests in one module share a vhost)."""
    return f"T{secrets.token_hex(4).upper()}.01"


class Inbox:
    """A handler that records deliveries and can be told to fail."""

    def __init__(self, behaviour: Callable[[BusDelivery], Awaitable[None]] | None = None) -> None:
        self.seen: list[BusDelivery] = []
        self.done: list[BusDelivery] = []
        self.behaviour = behaviour
        self._changed = asyncio.Event()

    async def __call__(self, delivery: BusDelivery) -> None:
        self.seen.append(delivery)
        self._changed.set()
        if self.behaviour is not None:
            await self.behaviour(delivery)
        self.done.append(delivery)
        self._changed.set()

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


async def dead_with(bus: Bus, message_id: str, timeout: float = 10.0) -> Any:
    """Poll the dead letters until ``message_id`` shows up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [d for d in await bus.dead_letters(1000) if d.message_id == message_id]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{message_id} was never dead-lettered")


async def wait_until(
    probe: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], timeout: float = 5.0
) -> Any:
    """Poll ``probe`` until ``ok`` holds for its value (counts are eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if ok(value) or time.monotonic() > deadline:
            assert ok(value), value
            return value
        await asyncio.sleep(0.05)


def one_done(inbox: Inbox) -> bool:
    return len(inbox.done) == 1
