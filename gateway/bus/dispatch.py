"""What to do with one delivered message: run the handler, decide ack, retry or dead-letter.

Both buses share this, so they share the semantics:

- the handler returned → **ack**;
- the message is past its expiry → **dead** (``expired``), the handler is not called;
- the handler raised :class:`~gateway.errors.Recoverable` → **retry** after a backoff
  delay (exponential, capped), unless this was attempt ``delivery_limit`` → **dead**
  (``delivery_limit``);
- the handler raised anything else → **dead** (``rejected``) at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from enum import Enum

import structlog

from gateway.bus.base import BusDelivery, Handler
from gateway.errors import GatewayError, Recoverable

__all__ = ["Action", "RetryPolicy", "Verdict", "dispatch", "expiry_deadline", "sleep_unless"]

log = structlog.get_logger("gateway.bus")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing message is retried."""

    delivery_limit: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.delivery_limit < 1:
            raise ValueError("delivery_limit must be at least 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1, 2, 4 … × base, capped)."""
        exponent = min(max(attempt - 1, 0), 30)
        return float(min(self.backoff_max, self.backoff_base * 2**exponent))


class Action(Enum):
    """The three ends of a delivery."""

    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Verdict:
    """The decision for one delivery; ``delay`` for retries, ``reason``/``error`` for dead."""

    action: Action
    delay: float = 0.0
    reason: str = ""
    error: str = ""


ACK = Verdict(Action.ACK)


async def dispatch(
    delivery: BusDelivery,
    handler: Handler,
    policy: RetryPolicy,
    expires_at: float | None = None,
) -> Verdict:
    """Run ``handler`` on ``delivery`` and say what to do with the message."""
    if expires_at is not None and time.time() >= expires_at:
        return Verdict(Action.DEAD, reason="expired")
    try:
        await handler(delivery)
    except Recoverable as exc:
        return _recoverable(delivery, policy, exc)
    except Exception as exc:
        log.error(
            "bus.handler_failed",
            message_id=delivery.message_id,
            unit=delivery.routing_key,
            error=_code(exc),
            exc_info=True,
        )
        return Verdict(Action.DEAD, reason="rejected", error=_code(exc))
    return ACK


def _recoverable(delivery: BusDelivery, policy: RetryPolicy, exc: Recoverable) -> Verdict:
    if delivery.attempt >= policy.delivery_limit:
        log.warning(
            "bus.delivery_limit",
            message_id=delivery.message_id,
            unit=delivery.routing_key,
            attempt=delivery.attempt,
            error=exc.code,
        )
        return Verdict(Action.DEAD, reason="delivery_limit", error=exc.code)
    return Verdict(Action.RETRY, delay=policy.delay(delivery.attempt), error=exc.code)


def _code(exc: BaseException) -> str:
    if isinstance(exc, GatewayError):
        return exc.code
    return type(exc).__name__


def expiry_deadline(expiration: float | None) -> float | None:
    """Wall-clock time after which a message published now with ``expiration`` is dead."""
    return None if expiration is None else time.time() + expiration


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile (a draining consumer)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
