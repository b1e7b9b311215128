"""Writers on PostgreSQL take the audit lock first, so concurrent writers never deadlock."""

from __future__ import annotations

import asyncio
import random

import pytest

from gateway.pipeline.states import RULES
from gateway.store import audit
from gateway.store.db import WRITE_LOCK, Database
from gateway.store.messages import MessageStore
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

SENDER = "000.00.00.H01"
RECIPIENTS = tuple(f"000.00.{i:02d}.H01" for i in range(1, 13))


def test_the_write_lock_is_the_audit_lock() -> None:
    """``Database.session(write=True)`` locks the very key the audit chain appends under."""
    assert WRITE_LOCK == audit._LOCK_KEY


async def test_batches_deliveries_and_fetches_do_not_deadlock(pg_url: str) -> None:
    """mark_published batches racing deliver and mark_fetched on the same rows all commit."""
    db = Database(pg_url, pool_size=12)
    await db.upgrade()
    store = MessageStore(db, rules=RULES)
    try:
        ids = []
        for _ in range(6):
            verified = make_envelope(SENDER, RECIPIENTS)
            ids.append((await store.accept(verified, list(RECIPIENTS), SENDER)).message_id)
        rows = await store.claim_outbox(1000, "relay", lease_seconds=60)
        batches = [[r.id for r in rows[i : i + 24]] for i in range(0, len(rows), 24)]
        pairs = [(r.message_id, r.routing_key) for r in rows]
        random.Random(7).shuffle(pairs)

        async def consume(mid: str, unit: str) -> None:
            await store.deliver(mid, unit)
            await store.mark_fetched(mid, unit)

        await asyncio.gather(
            *(store.mark_published(list(reversed(b))) for b in batches),
            *(consume(mid, unit) for mid, unit in pairs),
        )
        for mid in ids:
            states = {r.unit: r.state for r in (await store.status(mid)).recipients}
            assert set(states.values()) == {"delivered"}, states
        assert await store.claim_outbox(1000, "again") == []
        assert (await audit.verify(db)).ok
    finally:
        await db.dispose()


async def test_two_processes_writing_at_once_keep_one_chain(pg_url: str) -> None:
    """Two Database objects (two hubs' pools) appending at once: the head read with the
    lock is never stale, so no seq is taken twice and the chain stays whole."""
    first, second = Database(pg_url, pool_size=4), Database(pg_url, pool_size=4)
    await first.upgrade()

    async def write(db: Database, n: int) -> None:
        for i in range(n):
            async with db.session(write=True) as session:
                await audit.append(session, "tester", "test.write", detail={"i": i})
                await audit.append(session, "tester", "test.second", detail={"i": i})

    try:
        await asyncio.gather(*(write(db, 15) for db in (first, second) for _ in range(3)))
        report = await audit.verify(first)
        assert report.ok and report.entries == 2 * 15 * 6
    finally:
        await first.dispose()
        await second.dispose()
