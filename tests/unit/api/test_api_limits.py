"""Token buckets and byte budgets of the API limits."""

from __future__ import annotations

import pytest

from gateway.api.limits import ByteBudget, RateLimited, RateLimiter, TokenBucket, limited_chunks
from gateway.errors import LimitError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_grants_burst_then_refuses() -> None:
    """A full bucket grants `capacity` requests at once, then names the wait for the next."""
    bucket = TokenBucket(capacity=3, rate=1.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(1.0)


def test_bucket_refills_with_time() -> None:
    """Tokens come back at `rate` per second."""
    bucket = TokenBucket(capacity=1, rate=2.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.25) > 0
    assert bucket.take(0.75) == 0.0


def test_limiter_is_per_caller_with_retry_after() -> None:
    """One caller over its rate gets limit.rate with Retry-After; another is unaffected."""
    clock = Clock()
    limiter = RateLimiter(per_minute=2, clock=clock)
    limiter.check("unit:A")
    limiter.check("unit:A")
    with pytest.raises(RateLimited) as err:
        limiter.check("unit:A")
    assert err.value.code == "limit.rate"
    assert err.value.http_status == 429
    assert err.value.headers == {"Retry-After": "30"}
    limiter.check("unit:B")
    clock.now = 30.0
    limiter.check("unit:A")


def test_budget_overdrawn_raises_body_too_large() -> None:
    """Spending past the budget is limit.body_too_large (413)."""
    budget = ByteBudget(10)
    budget.spend(10)
    with pytest.raises(LimitError) as err:
        budget.spend(1)
    assert (err.value.code, err.value.http_status) == ("limit.body_too_large", 413)


async def test_limited_chunks_stops_at_the_limit() -> None:
    """A stream is cut as soon as the shared budget is exceeded, not after reading it all."""
    seen: list[bytes] = []

    async def chunks():
        for _ in range(100):
            yield b"x" * 10

    budget = ByteBudget(25)
    with pytest.raises(LimitError):
        async for chunk in limited_chunks(chunks(), budget):
            seen.append(chunk)
    assert len(seen) == 2
