"""The embedded default (SQLite + local bus): what the in-memory bus held survives a crash."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.hub import Hub
from tests.support.pipeline_stack import (
    A,
    B,
    Stack,
    eventually,
    make_config,
    signed_envelope,
    unit,
)


async def _crash(hub: Hub) -> None:
    """Die without draining: the relay stops, the database closes, the bus memory is lost."""
    await hub.relay.stop(flush_seconds=0)
    await hub.db.dispose()


async def _published(hub: Hub) -> bool:
    return await hub.messages.claim_outbox(10, "probe", lease_seconds=0) == []


async def test_published_but_unconsumed_rows_reach_the_mailbox_after_a_crash(
    tmp_home: Path, sqlite_url: str
) -> None:
    """Published into a local bus nobody consumed, then a crash: the next hub delivers once."""
    stack = Stack("sqlite-local", make_config(tmp_home, sqlite_url, "local://"))
    first = await stack.hub(consume=False)
    mid, xml = await signed_envelope(first, A, recipients=(B,))
    await first.submit_envelope(unit(A), xml)
    receipt_mid, receipt_xml = await signed_envelope(first, B, recipients=(A,))
    await first.submit_envelope(unit(B), receipt_xml)
    await first.messages.deliver(receipt_mid, A)  # A has it: no document to republish
    receipt_id = await first.post_receipt(unit(A), receipt_mid, status="03")
    await eventually(lambda: _published(first))
    await _crash(first)

    second = await stack.hub()

    async def of_kind(kind: str) -> list[object]:
        return [i for i in await second.messages.pending(B) if i.kind == kind]

    try:
        # both rows are republished in one pass; either may reach B's mailbox first
        documents = await eventually(lambda: of_kind("document"), timeout=15)
        assert [(i.message_id, i.ref) for i in documents] == [(mid, mid)]
        receipts = await eventually(lambda: of_kind("receipt"), timeout=15)
        assert [i.ref for i in receipts] == [receipt_id]
        await asyncio.sleep(0.3)
        assert len(await second.messages.pending(B)) == 2
        assert await second.messages.unconsumed_published() == []
    finally:
        await second.stop()


async def test_a_clean_restart_republishes_nothing(tmp_home: Path, sqlite_url: str) -> None:
    """After a normal stop every published row has its mailbox item: nothing is resent."""
    stack = Stack("sqlite-local", make_config(tmp_home, sqlite_url, "local://"))
    first = await stack.hub()
    try:
        _, xml = await signed_envelope(first, A, recipients=(B,))
        await first.submit_envelope(unit(A), xml)
        await eventually(lambda: first.messages.pending(B))
    finally:
        await first.stop()
    second = Hub(stack.config)
    assert await second.messages.unconsumed_published() == []
    await second.start()
    try:
        assert second.relay.published == 0
        assert len(await second.messages.pending(B)) == 1
    finally:
        await second.stop()
