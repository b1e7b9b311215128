"""Honour a busy server's ``Retry-After``: one helper for every HTTP client of the hub.

A hub under admission control answers 503 ``hub.overloaded`` with ``Retry-After`` (a rate
limit answers 429 likewise). The hub's own clients — the upstream adapter's axis and VXP
clients, ``lienthong send`` — wrap one request in :func:`retrying`: an attempt that meets
such an answer raises :class:`Busy` with the seconds asked and the typed error it stands
for; :func:`retrying` waits that long (never more than :attr:`RetryAfter.max_wait`, plus a
little jitter so refused clients do not return in lock-step) and tries again, at most
:attr:`RetryAfter.retries` times, then raises the typed error. Only requests that are safe
to repeat go through it: reads, idempotent writes, writes with an ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, TypeVar

import structlog

__all__ = ["BUSY_STATUSES", "Busy", "RetryAfter", "parse_retry_after", "retrying"]

log = structlog.get_logger("gateway.retry_after")

T = TypeVar("T")

#: The answers that may carry ``Retry-After`` and are worth the same request again.
BUSY_STATUSES: Final = frozenset({429, 503})


class Busy(Exception):
    """The server answered 503/429: ``retry_after`` seconds asked (``None``: not said) and
    ``error``, the typed error the caller raises when no retry is left."""

    def __init__(self, error: Exception, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value: delta-seconds or an HTTP-date (RFC 9110
    §10.2.3); ``None`` when absent or unreadable."""
    text = (value or "").strip()
    if text.isdigit():
        return float(text)
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """How many times to retry a busy answer, and how long one wait may be.

    ``fallback``: the first pause when the server said no ``Retry-After`` (doubling on each
    retry); ``None``: such an answer is not retried here (an adapter's runner backs off).
    """

    retries: int = 3
    max_wait: float = 30.0
    jitter: float = 0.2
    fallback: float | None = None
    rng: Callable[[], float] = random.random

    def pause(self, attempt: int, asked: float | None) -> float | None:
        """The wait before retry ``attempt`` (0-based), ``None``: give up."""
        if attempt >= self.retries:
            return None
        if asked is None:
            if self.fallback is None:
                return None
            asked = self.fallback * 2 ** min(attempt, 16)
        return min(self.max_wait, asked * (1.0 + self.jitter * self.rng()))


async def retrying(
    policy: RetryAfter,
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str = "request",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    notify: Callable[[str, float, int], None] | None = None,
) -> T:
    """``await attempt()`` until it does not raise :class:`Busy` or ``policy`` gives up;
    then the busy answer's typed error is raised. Each wait is told to ``notify(what,
    seconds, retry)`` (default: the log event ``http.busy_retry``; a CLI writes to
    stderr, its stdout being its answer)."""
    tries = 0
    while True:
        try:
            return await attempt()
        except Busy as busy:
            pause = policy.pause(tries, busy.retry_after)
            if pause is None:
                raise busy.error from None
            (notify or _logged)(what, pause, tries + 1)
        tries += 1
        await sleep(pause)


def _logged(what: str, pause: float, retry: int) -> None:
    log.info("http.busy_retry", what=what, wait=round(pause, 3), retry=retry)
