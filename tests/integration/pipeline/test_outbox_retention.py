"""The hub's outbox retention: the journey stays whole, a restart resends nothing, and an
embedded hub keeps the rows of its dead letters."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from gateway.hub import Hub
from gateway.store.models import OutboxEntryRow
from tests.support.pipeline_stack import (
    PROV,
    B,
    Stack,
    eventually,
    make_config,
    signed_envelope,
    unit,
)


async def _kinds(hub: Hub, code: str, kind: str) -> list[dict[str, object]] | None:
    """The ``kind`` items pending in ``code``'s mailbox; ``None`` while there are none."""
    items = await hub.mailbox(unit(code), wait=0, limit=100)
    return [i for i in items if i["kind"] == kind] or None


async def test_purged_rows_leave_the_journey_whole_and_a_restart_resends_nothing(
    stack: Stack,
) -> None:
    """A document and its receipt delivered, their outbox rows purged by the hub: the status
    is unchanged, the mailboxes hold one of each, and the next hub republishes nothing."""
    stack.config = replace(
        stack.config, database=replace(stack.config.database, outbox_keep_seconds=0.05)
    )
    first = await stack.hub()
    try:
        mid, xml = await signed_envelope(first, PROV, recipients=(B,))
        await first.submit_envelope(unit(PROV), xml)
        await eventually(lambda: _kinds(first, B, "document"))
        await first.post_receipt(unit(B), mid, status="01")
        await eventually(lambda: _kinds(first, PROV, "receipt"))
        before = await first.status(unit(PROV), mid)
        await asyncio.sleep(0.1)
        assert first.retention.enabled
        assert await first.retention.run_once() == 2  # the document's row, the receipt's
        assert await first.status(unit(PROV), mid) == before
    finally:
        await first.stop()
    second = await stack.hub()
    try:
        await asyncio.sleep(0.3)
        assert second.relay.published == 0
        assert await second.messages.unconsumed_published() == []
        assert [i["message_id"] for i in await _kinds(second, PROV, "receipt") or []] == [mid]
        assert [r["state"] for r in (await second.status(unit(PROV), mid))["recipients"]] == [
            before["recipients"][0]["state"]
        ]
    finally:
        await second.stop()


async def _outbox_ids(hub: Hub) -> list[int]:
    async with hub.db.read() as session:
        return list((await session.scalars(select(OutboxEntryRow.id))).all())


async def test_a_local_dead_letter_keeps_its_row(tmp_home: Path, sqlite_url: str) -> None:
    """Embedded: a message the local bus dead-lettered lives in memory only, so the purge
    keeps its outbox row (the next start's recovery sends it again) until it is discarded."""
    config = make_config(tmp_home, sqlite_url, "local://")
    stack = Stack(
        "sqlite-local", replace(config, database=replace(config.database, outbox_keep_seconds=0.05))
    )
    hub = await stack.hub()
    try:
        mid, xml = await signed_envelope(hub, PROV, recipients=(B,))
        await hub.submit_envelope(unit(PROV), xml)
        await eventually(lambda: _kinds(hub, B, "document"))
        [row] = await _outbox_ids(hub)
        letter = f"{mid}.{B}.{row}"  # as the hub names its bus messages
        await hub.bus.publish("documents", B, b"not a bus message", message_id=letter)
        await eventually(hub.bus.dead_letter_count)
        await asyncio.sleep(0.1)
        assert await hub.retention.run_once() == 0
        assert await _outbox_ids(hub) == [row]
        assert await hub.bus.discard_dead_letter(letter)
        assert await hub.retention.run_once() == 1 and await _outbox_ids(hub) == []
    finally:
        await hub.stop()
