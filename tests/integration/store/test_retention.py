"""Outbox retention on both databases: old published rows go, nothing else does; and the
local-bus recovery that reads the published rows it leaves."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from gateway.envelope.model import Status
from gateway.pipeline.states import RULES
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.models import DeliveryRow, OutboxEntryRow, utcnow
from gateway.store.retention import OutboxRetention
from tests.support.store_builders import make_envelope, make_receipt

pytestmark = pytest.mark.integration

SENDER = "000.00.00.H01"
RECIPIENTS = ("000.00.01.H01", "000.00.02.H01")
DAY = 86400.0


def days_later(days: float) -> datetime:
    """A clock that reads ``days`` after now."""
    return utcnow() + timedelta(days=days)


async def accept(store: MessageStore, messages: int) -> list[str]:
    """Accept ``messages`` documents to both recipients; their ids."""
    ids = []
    for _ in range(messages):
        verified = make_envelope(SENDER, RECIPIENTS)
        await store.accept(verified, list(RECIPIENTS), SENDER)
        ids.append(str(verified.envelope.message_id))
    return ids


async def publish(store: MessageStore, rows: int) -> list[int]:
    """Claim up to ``rows`` outbox rows and mark them published; their ids."""
    claimed = [r.id for r in await store.claim_outbox(rows, "test-retention", lease_seconds=60)]
    await store.mark_published(claimed)
    return claimed


async def outbox_rows(db: Database) -> dict[int, bool]:
    """Every outbox row: id → published."""
    async with db.read() as session:
        rows = await session.execute(select(OutboxEntryRow.id, OutboxEntryRow.published_at))
        return {row.id: row.published_at is not None for row in rows}


async def count(db: Database, row: type[DeliveryRow]) -> int:
    """How many rows ``row``'s table holds."""
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(row))).scalar_one())


async def test_old_published_rows_go_and_unpublished_ones_stay(db: Database) -> None:
    """Published rows older than the keep time are deleted; unpublished rows of any age,
    the messages and their deliveries stay, and the relay still gets the unpublished ones."""
    store = MessageStore(db, rules=RULES)
    ids = await accept(store, 3)
    published = await publish(store, 4)
    assert len(published) == 4 and len(await outbox_rows(db)) == 6
    retention = OutboxRetention(db, keep_seconds=DAY, clock=lambda: days_later(2))
    assert await retention.run_once() == 4
    left = await outbox_rows(db)
    assert len(left) == 2 and not any(left.values()) and not set(left) & set(published)
    assert await count(db, DeliveryRow) == 6
    assert [str((await store.get(i)).id) for i in ids] == ids
    claimed = await store.claim_outbox(10, "relay", lease_seconds=60)
    assert sorted(r.id for r in claimed) == sorted(left)
    assert retention.purged == 4 and await retention.run_once() == 0


async def test_held_rows_stay_whatever_their_age(db: Database) -> None:
    """Rows named by ``held`` (an in-process bus's dead letters) are kept; the rest go, and
    once nothing holds them they go too."""
    store = MessageStore(db, rules=RULES)
    await accept(store, 2)
    published = await publish(store, 4)
    held = {published[0], published[2]}

    async def holding() -> set[int]:
        return held

    retention = OutboxRetention(db, keep_seconds=DAY, clock=lambda: days_later(2), held=holding)
    assert await retention.run_once() == 2
    assert set(await outbox_rows(db)) == {published[0], published[2]}
    held = set()
    assert await retention.run_once() == 2 and await outbox_rows(db) == {}


async def test_rows_younger_than_the_keep_time_stay(db: Database) -> None:
    """Rows published within the keep time are kept (a clock half a day on: none go)."""
    store = MessageStore(db, rules=RULES)
    await accept(store, 2)
    await publish(store, 4)
    retention = OutboxRetention(db, keep_seconds=DAY, clock=lambda: days_later(0.5))
    assert await retention.run_once() == 0
    assert len(await outbox_rows(db)) == 4


async def test_a_pass_is_bounded_and_the_next_one_goes_on(db: Database) -> None:
    """At most ``batch`` × ``batches`` rows a pass, oldest first; the next pass takes the rest."""
    store = MessageStore(db, rules=RULES)
    await accept(store, 3)
    first = await publish(store, 2)
    await asyncio.sleep(0.01)  # the later rows are published later
    await publish(store, 4)
    retention = OutboxRetention(
        db, keep_seconds=DAY, batch=2, batches=1, clock=lambda: days_later(2)
    )
    assert await retention.run_once() == 2
    assert not set(await outbox_rows(db)) & set(first)
    retention.batches = 5
    assert await retention.run_once() == 4
    assert await outbox_rows(db) == {}


async def test_the_loop_purges_in_the_background_and_stops(db: Database) -> None:
    """Started, the loop deletes on its own; stopped, it is gone."""
    store = MessageStore(db, rules=RULES)
    await accept(store, 1)
    await publish(store, 2)
    retention = OutboxRetention(
        db, keep_seconds=DAY, every_seconds=0.05, clock=lambda: days_later(2)
    )
    retention.start()
    try:
        async with asyncio.timeout(20):
            while retention.purged < 2:
                await asyncio.sleep(0.05)
    finally:
        await retention.stop()
    assert retention._task is None and await outbox_rows(db) == {}


async def test_a_zero_keep_time_keeps_everything(db: Database) -> None:
    """``outbox_keep_seconds = 0``: no loop, and a pass deletes nothing."""
    store = MessageStore(db, rules=RULES)
    await accept(store, 1)
    await publish(store, 2)
    keep_all = OutboxRetention(db, keep_seconds=0, clock=lambda: days_later(400))
    keep_all.start()
    assert not keep_all.enabled and keep_all._task is None
    assert await keep_all.run_once() == 0 and len(await outbox_rows(db)) == 2


async def test_recovery_finds_a_published_receipt_behind_unpublished_ones(db: Database) -> None:
    """Local-bus recovery looks for published receipt rows without a mailbox item: receipts
    still waiting for the relay (here two, with a window of two) must not hide one."""
    store = MessageStore(db, rules=RULES)
    envelopes = [make_envelope(SENDER, RECIPIENTS[:1]) for _ in range(3)]
    for env in envelopes:
        await store.accept(env, [RECIPIENTS[0]], SENDER)
    await publish(store, 3)  # the documents' rows
    for env in envelopes:
        await store.deliver(str(env.envelope.message_id), RECIPIENTS[0])
    for env in envelopes:  # the receipts' rows, in this order
        await store.add_receipt(make_receipt(env, RECIPIENTS[0], Status.RECEIVED))
    rows = await store.claim_outbox(10, "relay", lease_seconds=60)
    assert len(rows) == 3
    last = max(rows, key=lambda r: r.id)
    await store.mark_published([last.id])  # only the third receipt went out
    await store.release([r.id for r in rows if r is not last])
    found = await store.unconsumed_published(2)
    assert [r.id for r in found] == [last.id]
