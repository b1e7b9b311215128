"""Outbox leases on both databases: concurrent claimers get disjoint rows, leases expire."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.pipeline.states import RULES
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

RECIPIENTS = tuple(f"000.00.{i:02d}.H01" for i in range(1, 21))


async def fill(store: MessageStore, messages: int = 3) -> int:
    for _ in range(messages):
        verified = make_envelope("000.00.00.H01", RECIPIENTS)
        await store.accept(verified, list(RECIPIENTS), "000.00.00.H01")
    return messages * len(RECIPIENTS)


async def drain(store: MessageStore, worker: str) -> list[int]:
    claimed: list[int] = []
    while rows := await store.claim_outbox(7, worker, lease_seconds=60):
        claimed += [r.id for r in rows]
        await asyncio.sleep(0)
    return claimed


async def test_two_hubs_claim_disjoint_rows(db: Any, db_url: str) -> None:
    """Two hub processes (engines) draining one outbox never claim the same row."""
    total = await fill(MessageStore(db, rules=RULES))
    other = Database(db_url)
    try:
        results = await asyncio.gather(
            drain(MessageStore(db, rules=RULES), "hub-a"),
            drain(MessageStore(other, rules=RULES), "hub-b"),
            drain(MessageStore(db, rules=RULES), "hub-a2"),
        )
    finally:
        await other.dispose()
    everything = [i for r in results for i in r]
    assert len(everything) == total
    assert len(set(everything)) == total


async def test_leases_expire_and_release_returns_rows(db: Any) -> None:
    """An expired lease or a release makes a row claimable again; published rows never are."""
    store = MessageStore(db, rules=RULES)
    verified = make_envelope("000.00.00.H01", RECIPIENTS[:2])
    await store.accept(verified, list(RECIPIENTS[:2]), "000.00.00.H01")
    first = await store.claim_outbox(10, "w1", lease_seconds=60)
    assert len(first) == 2 and await store.claim_outbox(10, "w2") == []
    await store.release([first[0].id])
    again = await store.claim_outbox(10, "w2", lease_seconds=0)
    assert [(r.id, r.attempts) for r in again] == [(first[0].id, 2)]
    stolen = await store.claim_outbox(10, "w3", lease_seconds=60)  # w2's lease ran out
    assert [r.id for r in stolen] == [first[0].id]
    await store.mark_published([r.id for r in first])
    await store.mark_published([r.id for r in first])  # a second confirm changes nothing
    await store.release([r.id for r in first])
    assert await store.claim_outbox(10, "w4", lease_seconds=0) == []
    states = {
        r.unit: r.state for r in (await store.status(str(verified.envelope.message_id))).recipients
    }
    assert set(states.values()) == {"queued"}
