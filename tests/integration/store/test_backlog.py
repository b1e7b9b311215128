"""The backlog reading admission control uses (:mod:`gateway.store.backlog`), on both
databases: deliveries accepted or queued count until fetched, and only above the floor."""

from __future__ import annotations

import pytest

from gateway.pipeline.states import QUEUED, SUBMITTED
from gateway.store.backlog import Backlog, read_backlog
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

SENDER = "000.00.00.H01"
RECIPIENTS = ("000.00.01.H01", "000.00.02.H01")
STATES = (SUBMITTED, QUEUED)


async def test_waiting_deliveries_until_fetched_and_above_the_floor(
    db: Database, store: MessageStore
) -> None:
    """Three documents to two units are six deliveries on their way, also once published;
    one fetched leaves five; a floor at the newest delivery counts none."""
    assert await read_backlog(db, 0, STATES) == Backlog(0, 0)
    ids = []
    for _ in range(3):
        verified = make_envelope(SENDER, RECIPIENTS)
        await store.accept(verified, list(RECIPIENTS), SENDER)
        ids.append(str(verified.envelope.message_id))
    reading = await read_backlog(db, 0, STATES)
    assert reading.waiting == 6 and reading.newest >= 6
    claimed = [r.id for r in await store.claim_outbox(10, "test-backlog", lease_seconds=60)]
    await store.mark_published(claimed)
    assert (await read_backlog(db, 0, STATES)).waiting == 6
    await store.mark_fetched(ids[0], RECIPIENTS[0])
    assert (await read_backlog(db, 0, STATES)).waiting == 5
    assert (await read_backlog(db, reading.newest, STATES)).waiting == 0
    assert (await read_backlog(db, reading.newest - 2, STATES)).waiting == 2
