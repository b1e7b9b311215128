"""Retry timing and a circuit breaker, one per adapter.

:class:`Backoff` gives exponential delays with full jitter (AWS's "full jitter": a
uniform draw in ``[0, min(cap, base * 2**attempt)]``), so many adapters failing at once
do not retry in lock-step. :func:`retry_after_from_options` gives an adapter's HTTP client
how it honours a busy answer's ``Retry-After`` (:mod:`gateway.retry_after`) before the
failure reaches this backoff. :class:`CircuitBreaker` stops hammering a remote system that
is down: ``closed`` (normal) → ``open`` after ``threshold`` consecutive failures (calls
refused) → ``half_open`` after ``cooldown`` seconds (one trial call) → ``closed`` on a
success or ``open`` again on a failure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from gateway.errors import ConfigError
from gateway.retry_after import RetryAfter

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "Backoff", "CircuitBreaker", "retry_after_from_options"]

CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"adapter option {key!r} must be a number >= 0", code="config.invalid")
    return float(value)


def retry_after_from_options(options: Mapping[str, Any]) -> RetryAfter:
    """From ``retry_after_retries`` (3: how many busy answers are waited out per call; 0:
    none) and ``retry_after_max`` (30: seconds, the longest wait, whatever was asked)."""
    return RetryAfter(
        retries=int(_number(options, "retry_after_retries", 3)),
        max_wait=_number(options, "retry_after_max", 30.0),
    )


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: ``delay(n)`` for the n-th retry (0-based)."""

    base: float = 0.5
    cap: float = 60.0
    attempts: int = 5
    rng: Callable[[], float] = random.random

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Backoff:
        """From ``retry_base``, ``retry_cap`` (seconds) and ``retry_attempts``."""
        return cls(
            base=_number(options, "retry_base", 0.5),
            cap=_number(options, "retry_cap", 60.0),
            attempts=max(1, int(_number(options, "retry_attempts", 5))),
        )

    def ceiling(self, attempt: int) -> float:
        """The largest delay the ``attempt``-th retry may wait."""
        return float(min(self.cap, self.base * 2 ** min(attempt, 32)))

    def delay(self, attempt: int) -> float:
        """A jittered delay in ``[0, ceiling(attempt)]``."""
        return self.rng() * self.ceiling(attempt)


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures → half-open after ``cooldown``."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], clock: Callable[[], float] = time.monotonic
    ) -> CircuitBreaker:
        """From ``breaker_threshold`` (failures) and ``breaker_cooldown`` (seconds)."""
        return cls(
            threshold=int(_number(options, "breaker_threshold", 5)),
            cooldown=_number(options, "breaker_cooldown", 30.0),
            clock=clock,
        )

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        if self.opened_at is None:
            return CLOSED
        if self.clock() - self.opened_at >= self.cooldown:
            return HALF_OPEN
        return OPEN

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open: one trial at a time)."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._trial:
            self._trial = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until the breaker lets a trial through (0 when closed)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.cooldown - self.clock())

    def success(self) -> None:
        """A call went through: close."""
        self.failures = 0
        self.opened_at = None
        self._trial = False

    def failure(self) -> None:
        """A call failed recoverably: count it; open at the threshold (or on a failed trial)."""
        self.failures += 1
        if self._trial or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self._trial = False
