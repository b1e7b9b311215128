"""Per-caller limits: body size (413 ``limit.body_too_large``) and rate (429 ``limit.rate``).

The body limit is checked three ways: the declared ``Content-Length`` before the first
byte is read, aiohttp's ``client_max_size`` for bodies read whole, and a running count on
streamed multipart parts (which ``client_max_size`` does not cover). The rate limit is a
token bucket per authenticated caller, refilled at ``[hub] rate_per_minute``. Failed
credentials are limited separately (:class:`FailureLimiter`, 429 ``limit.auth_failures``),
per client id and per address, so guessing a secret is slow.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.api.context import PRINCIPAL, caller_key
from gateway.errors import LimitError

__all__ = [
    "ByteBudget",
    "FailureLimiter",
    "RateLimited",
    "RateLimiter",
    "TokenBucket",
    "body_limit_middleware",
    "limited_chunks",
    "rate_limit_middleware",
]

_MAX_BUCKETS: Final = 100_000


class RateLimited(LimitError):
    """Too many requests from one caller; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, *, retry_after: int, code: str = "limit.rate") -> None:
        super().__init__(message, code=code, http_status=429)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``rate`` tokens per second."""

    capacity: float
    rate: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self, now: float) -> float:
        """Take one token; return 0 if granted, else the seconds until one is available."""
        wait = self.wait(now)
        if wait == 0:
            self.tokens -= 1.0
        return wait

    def wait(self, now: float) -> float:
        """0 if a token is available now, else the seconds until one is (takes nothing)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """One token bucket per caller key; a burst of one minute's allowance is permitted."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(1, per_minute)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key: str) -> None:
        """Count one request for ``key``; raise :class:`RateLimited` when over the limit."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._buckets.clear()  # a flood of callers: forget them all rather than grow
            bucket = TokenBucket(self.per_minute, self.per_minute / 60.0, stamp=now)
            self._buckets[key] = bucket
        wait = bucket.take(now)
        if wait > 0:
            raise RateLimited(
                f"more than {self.per_minute} requests a minute", retry_after=math.ceil(wait)
            )


class FailureLimiter:
    """At most ``per_minute`` failed attempts per key (a burst of that many, refilled over a
    minute); past it every attempt for the key is refused until the bucket refills."""

    def __init__(self, per_minute: int = 10, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(1, per_minute)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, *keys: str) -> None:
        """Raise 429 ``limit.auth_failures`` if any of ``keys`` has no attempt left."""
        now = self._clock()
        wait = max((b.wait(now) for k in keys if (b := self._buckets.get(k))), default=0.0)
        if wait > 0:
            raise RateLimited(
                "too many failed attempts; try again later",
                retry_after=math.ceil(wait),
                code="limit.auth_failures",
            )

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each of ``keys``."""
        now = self._clock()
        if len(self._buckets) >= _MAX_BUCKETS:
            self._buckets.clear()
        for key in keys:
            bucket = self._buckets.setdefault(
                key, TokenBucket(self.per_minute, self.per_minute / 60.0, stamp=now)
            )
            bucket.take(now)


RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
MAX_BODY = web.AppKey("max_body_bytes", int)


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a caller over its rate (after authentication, so the key is the caller)."""
    principal = request.get(PRINCIPAL)
    if principal is not None:
        request.app[RATE_LIMITER].check(caller_key(principal))
    return await handler(request)


@web.middleware
async def body_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a body whose declared length is over the limit before reading any of it."""
    limit = request.app[MAX_BODY]
    declared = request.content_length
    if declared is not None and declared > limit:
        raise LimitError(f"the body is larger than {limit} bytes", code="limit.body_too_large")
    return await handler(request)


class ByteBudget:
    """Bytes a request may still send; shared by every streamed part of one body."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, size: int) -> None:
        """Count ``size`` bytes; ``limit.body_too_large`` once the budget is overdrawn."""
        self.left -= size
        if self.left < 0:
            raise LimitError("the body is larger than the limit", code="limit.body_too_large")


async def limited_chunks(chunks: AsyncIterator[bytes], budget: ByteBudget) -> AsyncIterator[bytes]:
    """Yield ``chunks``, charging each to ``budget`` before it is passed on."""
    async for chunk in chunks:
        budget.spend(len(chunk))
        yield chunk
