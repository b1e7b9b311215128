"""How long one store operation a request makes may take: ``store.unavailable`` after.

A database that stops answering without closing its connections (a dead host, a cut
cable) is noticed only by timeouts: a free pool slot's, a new connection's, a statement's,
the rollback's. A request caught by it could meet several of them in a row, and wait their
sum before its 503. Inside a request (the HTTP layer sets :data:`STORE_SECONDS` for its
handlers) every store operation — a prepared statement, a transaction, the wait for a
group-commit turn — is bounded as a whole by that many seconds. Work outside requests
(relay, consumers, the CLI, migrations) keeps the single timeouts: it retries by itself.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

__all__ = ["STORE_SECONDS", "bounded"]

#: Seconds one store operation of the current request may take; None: no bound.
STORE_SECONDS: ContextVar[float | None] = ContextVar("store_seconds", default=None)


def bounded() -> asyncio.Timeout:
    """``asyncio.timeout`` of the current request's bound (none outside requests); its
    ``TimeoutError`` is an ``OSError``, which the store reports as ``store.unavailable``."""
    return asyncio.timeout(STORE_SECONDS.get())
