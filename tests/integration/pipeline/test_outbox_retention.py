"""The hub's outbox retention on every stack: the journey stays whole, a restart resends nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from gateway.hub import Hub
from tests.integration.pipeline.conftest import (
    PROV,
    B,
    Stack,
    eventually,
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
