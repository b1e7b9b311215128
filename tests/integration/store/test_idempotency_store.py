"""The idempotency-key store: reservations, answers, take-over of dead ones, the purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from gateway.errors import ConflictError, RequestError
from gateway.store.idempotency import KEEP_SECONDS, STALE_SECONDS, IdempotencyKeys, StoredAnswer
from gateway.store.models import IdempotencyKeyRow, utcnow

pytestmark = pytest.mark.integration

UNIT = "000.00.01.H01"


async def _age(db: Any, key: str, seconds: float) -> None:
    """Make ``key``'s row ``seconds`` older (what time passing does)."""
    async with db.session(write=True) as session:
        await session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.key == key)
            .values(created_at=utcnow() - timedelta(seconds=seconds))
        )


async def test_a_key_runs_once_then_answers(db: Any) -> None:
    """First: reserved (run it); meanwhile: in progress (409, Retry-After); answered: the
    answer; another fingerprint: conflict (422)."""
    keys = IdempotencyKeys(db)
    assert await keys.begin(UNIT, "k", "f1") is None
    with pytest.raises(ConflictError) as running:
        await keys.begin(UNIT, "k", "f1")
    assert running.value.code == "request.idempotency_in_progress"
    assert running.value.headers == {"Retry-After": "1"}  # type: ignore[attr-defined]
    await keys.finish(UNIT, "k", 202, b'{"id": "x"}')
    assert await keys.begin(UNIT, "k", "f1") == StoredAnswer(202, b'{"id": "x"}')
    with pytest.raises(RequestError) as other:
        await keys.begin(UNIT, "k", "f2")
    assert (other.value.code, other.value.http_status) == ("request.idempotency_conflict", 422)
    assert await keys.begin("000.00.02.H01", "k", "f2") is None  # keys are per unit


async def test_an_abandoned_or_dead_reservation_is_taken_over(db: Any) -> None:
    """A failed request gives its key back; a reservation whose process died (older than
    ``STALE_SECONDS``, never answered) is taken over, even for another request."""
    keys = IdempotencyKeys(db)
    assert await keys.begin(UNIT, "a", "f1") is None
    await keys.abandon(UNIT, "a")
    assert await keys.begin(UNIT, "a", "f2") is None
    await _age(db, "a", STALE_SECONDS + 5)
    assert await keys.begin(UNIT, "a", "f3") is None
    await keys.finish(UNIT, "a", 202, b"{}")
    await _age(db, "a", STALE_SECONDS + 5)  # an answer is not taken over
    assert await keys.begin(UNIT, "a", "f3") == StoredAnswer(202, b"{}")


async def test_answers_are_kept_then_purged(db: Any) -> None:
    """An answer a day old is still given; past ``KEEP_SECONDS`` the purge deletes it and
    the key is free again."""
    keys = IdempotencyKeys(db)
    assert await keys.begin(UNIT, "old", "f") is None
    await keys.finish(UNIT, "old", 202, b"{}")
    await _age(db, "old", 24 * 3600 + 60)
    assert await keys.purge() == 0
    assert await keys.begin(UNIT, "old", "f") == StoredAnswer(202, b"{}")
    await _age(db, "old", KEEP_SECONDS + 60)
    assert await keys.purge() == 1
    assert await keys.begin(UNIT, "old", "other") is None
