"""What survives a stopped hub, and what must not be delivered late, on both stacks."""

from __future__ import annotations

import asyncio

from gateway.hub import Hub
from tests.support.pipeline_stack import (
    A,
    B,
    Stack,
    eventually,
    signed_envelope,
    soon,
    unit,
)


async def _documents(hub: Hub, code: str) -> list[dict]:
    items = await hub.mailbox(unit(code), wait=0.5, limit=100)
    return [i for i in items if i["kind"] == "document"]


async def test_rows_left_in_the_outbox_are_published_by_the_next_hub(stack: Stack):
    """A hub that stopped before publishing: another hub on the same db delivers its rows."""
    first = await stack.hub(relay=False)
    try:
        mid, xml = await signed_envelope(first, A, recipients=(B,))
        await first.submit_envelope(unit(A), xml)
        await asyncio.sleep(0.3)
        assert await _documents(first, B) == []
    finally:
        await first.stop()
    second = await stack.hub()
    try:
        items = await eventually(lambda: _documents(second, B), timeout=15)
        assert [i["message_id"] for i in items] == [mid]
        status = await second.status(unit(A), mid)
        assert status["recipients"][0]["state"] == "delivered"
    finally:
        await second.stop()


async def test_an_expired_message_is_not_delivered(stack: Stack):
    """A message that expires before it reaches the mailbox gets an expired receipt instead."""
    hub = await stack.hub(relay=False)
    try:
        await signed_envelope(hub, A, recipients=(B,))  # A's key is issued (slow) beforehand
        mid, xml = await signed_envelope(hub, A, recipients=(B,), expires=soon(2.0))
        await hub.submit_envelope(unit(A), xml)
        await asyncio.sleep(2.3)
        hub.relay.start()

        async def expired() -> bool:
            status = await hub.status(unit(A), mid)
            return status["recipients"][0]["state"] == "expired"

        await eventually(expired)
        assert await _documents(hub, B) == []
        status = await hub.status(unit(A), mid)
        assert [r["status"] for r in status["recipients"][0]["receipts"]] == ["90"]
        back = await eventually(lambda: hub.mailbox(unit(A), wait=1.0, limit=10))
        assert [i["kind"] for i in back] == ["receipt"]
    finally:
        await hub.stop()


async def test_stop_flushes_the_relay_and_loses_nothing(stack: Stack):
    """Accepted just before stop(): after a restart the document is in the mailbox."""
    hub = await stack.hub()
    mid, xml = await signed_envelope(hub, A, recipients=(B,))
    await hub.submit_envelope(unit(A), xml)
    await hub.stop()
    again = await stack.hub(relay=False)
    try:
        items = await eventually(lambda: _documents(again, B), timeout=15)
        assert [i["message_id"] for i in items] == [mid]
    finally:
        await again.stop()


async def test_a_document_that_expires_in_the_mailbox_is_not_handed_out(stack: Stack):
    """Expired while waiting unread: the reader does not get it; one expired receipt only."""
    hub = await stack.hub()
    try:
        mid, xml = await signed_envelope(hub, A, recipients=(B,), expires=soon(1.0))
        await hub.submit_envelope(unit(A), xml)

        async def queued() -> bool:
            status = await hub.status(unit(A), mid)
            return status["recipients"][0]["state"] == "queued"

        await eventually(queued)
        await asyncio.sleep(1.1)
        assert await _documents(hub, B) == []
        body = f'{{"kind":"document","message_id":"{mid}","recipient":"{B}"}}'.encode()
        await hub.bus.publish("documents", B, body, message_id=f"{mid}.again")
        await asyncio.sleep(0.3)
        assert await _documents(hub, B) == []
        status = await hub.status(unit(A), mid)
        assert status["recipients"][0]["state"] == "expired"
        assert [r["status"] for r in status["recipients"][0]["receipts"]] == ["90"]
    finally:
        await hub.stop()
