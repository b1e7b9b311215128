"""Backoff with jitter and the circuit breaker's states."""

from __future__ import annotations

import pytest

from adapters.resilience import Backoff, CircuitBreaker
from gateway.errors import ConfigError


def test_backoff_is_exponential_capped_and_jittered() -> None:
    """Ceilings double up to the cap; the delay is the jitter draw times the ceiling."""
    b = Backoff(base=0.5, cap=3.0, rng=lambda: 0.5)
    assert [b.ceiling(n) for n in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert b.delay(2) == 1.0
    assert Backoff(rng=lambda: 0.0).delay(5) == 0.0


def test_backoff_options() -> None:
    """Options feed the policy; a negative value is a config error."""
    b = Backoff.from_options({"retry_base": 1, "retry_attempts": 2})
    assert (b.base, b.attempts) == (1.0, 2)
    with pytest.raises(ConfigError):
        Backoff.from_options({"retry_cap": -1})


def test_breaker_cycle() -> None:
    """closed → open at the threshold → half-open after the cool-down → one trial."""
    now = [0.0]
    br = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    br.failure()
    assert br.state == "closed" and br.allow()
    br.failure()
    assert br.state == "open" and not br.allow()
    assert br.retry_in() == 10
    now[0] = 10.0
    assert br.state == "half_open"
    assert br.allow() and not br.allow()  # one trial at a time
    br.failure()
    assert br.state == "open"  # a failed trial opens again
    now[0] = 25.0
    assert br.allow()
    br.success()
    assert br.state == "closed" and br.failures == 0
