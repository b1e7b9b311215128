"""Idempotency keys: a submission retried with its key gets the first answer again.

A client that lost the answer to ``POST /api/v1/messages`` sends the same request again
with the same ``Idempotency-Key``. The first request *reserves* the key for its caller
(one row per ``(unit, key)``, with the request's fingerprint), runs, and stores its answer
(status and body) in the row; a later request with that key and the same fingerprint gets
the stored answer without running again. Another fingerprint under the key is
``request.idempotency_conflict`` (422); a request while the first one still runs is
``request.idempotency_in_progress`` (409, retry after a second).

Only successful answers are kept: a request that fails gives its reservation back (a
refused request changed nothing, so running it again gives the same refusal; a 503 may
succeed next time). A reservation whose request never finished (its hub process died) is
taken over after :data:`STALE_SECONDS`. Answers are kept :data:`KEEP_SECONDS` (48 h, so
"at least 24 h" holds whatever the clocks); each hub process deletes older rows at most
every :data:`PURGE_EVERY_SECONDS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from gateway.errors import ConflictError, RequestError
from gateway.store.db import Database, execute
from gateway.store.models import IdempotencyKeyRow, utcnow

__all__ = ["KEEP_SECONDS", "STALE_SECONDS", "IdempotencyKeys", "StoredAnswer"]

KEEP_SECONDS = 48 * 3600
STALE_SECONDS = 120
PURGE_EVERY_SECONDS = 600.0

_T = IdempotencyKeyRow


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The answer the first request with a key got: HTTP status and body."""

    status: int
    body: bytes


class IdempotencyKeys:
    """The ``idempotency_keys`` table of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._purged_at = 0.0

    async def begin(self, unit: str, key: str, fingerprint: str) -> StoredAnswer | None:
        """Reserve ``key`` for ``unit``'s request (``None``: run it, then :meth:`finish`
        or :meth:`abandon`), or the stored answer to give again; raises when the key names
        another request or its first request still runs."""
        await self._purge_now_and_then()
        now = utcnow()
        row = {"unit": unit, "key": key, "fingerprint": fingerprint, "created_at": now}
        insert = self.db.dialect.insert
        async with self.db.session(write=True) as session:
            made = await execute(
                session, insert(_T).values(row).on_conflict_do_nothing().returning(_T.key)
            )
            if made.first() is not None:
                return None
            stale = now - timedelta(seconds=STALE_SECONDS)
            taken = await execute(
                session,
                update(_T)
                .where(
                    _T.unit == unit,
                    _T.key == key,
                    _T.status.is_(None),
                    _T.created_at < stale,
                )
                .values(fingerprint=fingerprint, created_at=now)
                .returning(_T.key),
            )
            if taken.first() is not None:
                return None
            found = (
                await execute(
                    session,
                    select(_T.fingerprint, _T.status, _T.body).where(
                        _T.unit == unit, _T.key == key
                    ),
                )
            ).first()
        return _answer_of(found, fingerprint)

    async def finish(self, unit: str, key: str, status: int, body: bytes) -> None:
        """Store the answer of the request that holds ``key``."""
        async with self.db.session(write=True) as session:
            await execute(
                session,
                update(_T)
                .where(_T.unit == unit, _T.key == key)
                .values(status=status, body=body, created_at=utcnow()),
            )

    async def abandon(self, unit: str, key: str) -> None:
        """Give the reservation back (the request failed): the next one runs again."""
        async with self.db.session(write=True) as session:
            await execute(
                session,
                delete(_T).where(_T.unit == unit, _T.key == key, _T.status.is_(None)),
            )

    async def purge(self, older_than_seconds: float = KEEP_SECONDS) -> int:
        """Delete answers (and dead reservations) older than ``older_than_seconds``."""
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        async with self.db.session(write=True) as session:
            done = await execute(session, delete(_T).where(_T.created_at < cutoff))
            return int(getattr(done, "rowcount", 0) or 0)

    async def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._purged_at >= PURGE_EVERY_SECONDS:
            self._purged_at = now
            await self.purge()


def _answer_of(found: Any, fingerprint: str) -> StoredAnswer:
    """The stored answer of an existing row, or why there is none to give."""
    if found is not None and found.fingerprint != fingerprint:
        raise RequestError(
            "this Idempotency-Key was used for another request",
            code="request.idempotency_conflict",
            http_status=422,
        )
    if found is None or found.status is None:  # still running (or given back just now)
        running = ConflictError(
            "the request with this Idempotency-Key is still running; retry",
            code="request.idempotency_in_progress",
        )
        running.headers = {"Retry-After": "1"}  # type: ignore[attr-defined]
        raise running
    return StoredAnswer(int(found.status), bytes(found.body))
