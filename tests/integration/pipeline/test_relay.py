"""The relay: rows are marked published only after a confirm, released on failure."""

from __future__ import annotations

import asyncio

from gateway.errors import BusUnavailable
from gateway.pipeline.relay import Relay
from tests.support.pipeline_stack import A1, A2, GA, A, Stack, signed_envelope, unit


async def test_failed_publishes_are_released_and_retried(stack: Stack):
    """A nack leaves the row for the next pass; only confirmed rows are marked published."""
    hub = await stack.hub(relay=False)
    try:
        mid, xml = await signed_envelope(hub, A, groups=(GA,))
        await hub.submit_envelope(unit(A), xml)
        attempts: list[str] = []

        async def flaky(row) -> None:
            attempts.append(row.routing_key)
            if attempts.count(row.routing_key) == 1 and row.routing_key == A2:
                raise BusUnavailable("nacked", code="bus.nacked")
            await hub.relay.publish(row)

        relay = Relay(hub.messages, flaky, worker="test-relay", lease_seconds=60)
        assert await relay.run_once() == 1  # A1 confirmed, A2 nacked and released
        status = await hub.status(unit(A), mid)
        states = {r["unit"]: r["state"] for r in status["recipients"]}
        assert states[A2] == "submitted"
        assert await relay.run_once() == 1  # A2 again, at once (released, not leased)
        assert await relay.run_once() == 0
        assert sorted(attempts) == sorted([A1, A2, A2])
    finally:
        await hub.stop()


async def test_many_publishes_are_in_flight_at_once(stack: Stack):
    """One pass publishes a batch concurrently rather than one confirm after another."""
    hub = await stack.hub(relay=False)
    try:
        for _ in range(3):
            _, xml = await signed_envelope(hub, A, groups=(GA,))
            await hub.submit_envelope(unit(A), xml)
        in_flight = peak = 0

        async def slow(row) -> None:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.05)
            await hub.relay.publish(row)
            in_flight -= 1

        relay = Relay(hub.messages, slow, worker="test-relay")
        assert await relay.run_once() == 6
        assert peak == 6
    finally:
        await hub.stop()
