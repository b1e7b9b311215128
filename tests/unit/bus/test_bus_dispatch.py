"""The shared delivery decision: ack, retry with backoff, or dead-letter."""

from __future__ import annotations

import time

import pytest

from gateway.bus import BusDelivery, RetryPolicy
from gateway.bus.dispatch import Action, dispatch
from gateway.errors import BusUnavailable, EnvelopeError

POLICY = RetryPolicy(delivery_limit=3, backoff_base=0.5, backoff_max=1.5)


def delivery(attempt: int = 1) -> BusDelivery:
    return BusDelivery(b"x", "m-1", "000.00.01.G01", "documents", attempt=attempt)


async def ok(_: BusDelivery) -> None:
    return None


async def flaky(_: BusDelivery) -> None:
    raise BusUnavailable("down")


async def broken(_: BusDelivery) -> None:
    raise EnvelopeError("bad", code="envelope.schema")


def test_backoff_doubles_and_is_capped() -> None:
    """Delays grow 0.5, 1, 1.5 (cap) … seconds after attempts 1, 2, 3."""
    assert [POLICY.delay(n) for n in (1, 2, 3, 10, 1000)] == [0.5, 1.0, 1.5, 1.5, 1.5]


def test_delivery_limit_must_be_positive() -> None:
    """A zero delivery limit is refused (a message would never be tried)."""
    with pytest.raises(ValueError):
        RetryPolicy(delivery_limit=0)


async def test_handler_returning_means_ack() -> None:
    """A handler that returns leads to an ack."""
    assert (await dispatch(delivery(), ok, POLICY)).action is Action.ACK


async def test_recoverable_means_retry_with_delay() -> None:
    """A Recoverable error before the limit is retried after the backoff delay."""
    verdict = await dispatch(delivery(attempt=2), flaky, POLICY)
    assert (verdict.action, verdict.delay, verdict.error) == (Action.RETRY, 1.0, "bus.unavailable")


async def test_recoverable_at_limit_means_dead() -> None:
    """The last allowed attempt failing dead-letters the message as delivery_limit."""
    verdict = await dispatch(delivery(attempt=3), flaky, POLICY)
    assert (verdict.action, verdict.reason) == (Action.DEAD, "delivery_limit")


async def test_other_error_means_dead_at_once() -> None:
    """A non-recoverable error dead-letters on the first attempt, keeping the error code."""
    verdict = await dispatch(delivery(), broken, POLICY)
    assert (verdict.action, verdict.reason, verdict.error) == (
        Action.DEAD,
        "rejected",
        "envelope.schema",
    )


async def test_expired_message_skips_the_handler() -> None:
    """Past its expiry the handler is not called and the message is dead as expired."""
    called = []

    async def spy(d: BusDelivery) -> None:
        called.append(d)

    verdict = await dispatch(delivery(), spy, POLICY, expires_at=time.time() - 1)
    assert (verdict.action, verdict.reason, called) == (Action.DEAD, "expired", [])
