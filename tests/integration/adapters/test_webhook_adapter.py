"""The webhook adapter against a stand-in receiver (a real aiohttp server on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from adapter_world import A, B, delivery_state, send_document, wait_pending
from standin_receiver import SECRET, StandInReceiver, as_json, stand_in_receiver

from adapters.base import AdapterError
from adapters.items import fetch_outbound
from adapters.runner import AdapterRunner
from adapters.webhook import WebhookAdapter
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.errors import AdapterUnavailable
from gateway.hub import Hub


@pytest.fixture
async def receiver() -> AsyncIterator[StandInReceiver]:
    """A stand-in for unit B's own system."""
    async with stand_in_receiver() as r:
        yield r


def webhook(url: str, unit: str = B, secret: str = SECRET) -> WebhookAdapter:
    return WebhookAdapter(unit=unit, options={"url": url, "secret": secret, "timeout": 2})


async def one_item(hub: Hub, unit: str = B):  # type: ignore[no-untyped-def]
    entry = (await wait_pending(hub, unit))[0]
    return await fetch_outbound(hub, Principal(unit=unit), entry)


async def test_signed_post_carries_envelope_and_headers(
    hub: Hub, receiver: StandInReceiver
) -> None:
    """The receiver gets the envelope XML with a valid HMAC and the identifying headers."""
    message_id = await send_document(hub)
    item = await one_item(hub)
    async with webhook(receiver.url) as adapter:
        await adapter.send(item)
    [request] = receiver.requests
    assert receiver.bad_signatures == 0
    assert request["body"] == item.body
    assert request["headers"]["X-Lienthong-Message-Id"] == message_id
    assert request["headers"]["X-Lienthong-Delivery"] == f"document:{message_id}"
    assert request["headers"]["Content-Type"] == "application/xml"


async def test_wrong_secret_is_refused_as_failed(hub: Hub, receiver: StandInReceiver) -> None:
    """A receiver refusing the signature (401) is a non-recoverable adapter.rejected."""
    await send_document(hub)
    item = await one_item(hub)
    async with webhook(receiver.url, secret="not-the-secret") as adapter:
        with pytest.raises(AdapterError) as err:
            await adapter.send(item)
    assert err.value.code == "adapter.rejected"
    assert receiver.bad_signatures == 1


async def test_500s_then_success_through_the_runner(hub: Hub, receiver: StandInReceiver) -> None:
    """Two 500s are retried with backoff; the third try delivers; the item is acked."""
    await send_document(hub)
    await wait_pending(hub, B)
    receiver.fail_with = [500, 502]
    adapter = webhook(receiver.url)
    entry = AdapterConfig("webhook", B, {"wait": 0, "retry_base": 0.001, "retry_cap": 0.01})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    runner.build()
    await runner.run_outbound(runner.slots[0])
    assert len(receiver.requests) == 3
    assert len(receiver.accepted) == 1
    assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []
    await adapter.aclose()


async def test_4xx_is_not_retried(hub: Hub, receiver: StandInReceiver) -> None:
    """A 400 fails at once: one request, adapter.rejected."""
    await send_document(hub)
    item = await one_item(hub)
    receiver.fail_with = [400]
    async with webhook(receiver.url) as adapter:
        with pytest.raises(AdapterError):
            await adapter.send(item)
    assert len(receiver.requests) == 1


async def test_json_status_answer_is_posted(hub: Hub, receiver: StandInReceiver) -> None:
    """``{"status": "01"}`` in the answer becomes B's 'received' status on the message."""
    message_id = await send_document(hub)
    await wait_pending(hub, B)
    receiver.answer = {"status": "01", "id": "VB-2024-17"}
    adapter = webhook(receiver.url)
    runner = AdapterRunner(
        hub, [AdapterConfig("webhook", B, {"wait": 0})], factory=lambda _: adapter
    )
    runner.build()
    await runner.run_outbound(runner.slots[0])
    assert await delivery_state(hub, message_id, B) == "received"
    await adapter.aclose()


async def test_receipt_is_posted_as_json(hub: Hub, receiver: StandInReceiver) -> None:
    """A receipt in A's mailbox is POSTed as JSON with its receipt id header."""
    message_id = await send_document(hub)
    await wait_pending(hub, B)
    receipt_id = await hub.post_receipt(Principal(unit=B), message_id, status="03")
    item = await one_item(hub, A)
    async with webhook(receiver.url, unit=A) as adapter:
        await adapter.send(item)
    [request] = receiver.requests
    assert request["headers"]["X-Lienthong-Receipt-Id"] == receipt_id
    assert as_json(request["body"])["status"] == "03"


async def test_redirects(hub: Hub, receiver: StandInReceiver) -> None:
    """A 307 to the same origin is followed; a redirect to another host is refused."""
    await send_document(hub)
    item = await one_item(hub)
    receiver.redirect_to = "/moved"
    async with webhook(receiver.url) as adapter:
        with pytest.raises(AdapterError) as err:  # /moved redirects again, forever
            await adapter.send(item)
        assert err.value.code == "adapter.redirect"
        assert len(receiver.requests) == 4
        receiver.redirect_to = "http://example.invalid/hook"
        with pytest.raises(AdapterError) as other:
            await adapter.send(item)
        assert "another host" in other.value.message


async def test_connection_refused_is_recoverable(hub: Hub, tmp_path: Path) -> None:
    """Nobody listening: adapter.unavailable, which the adapter declares recoverable."""
    await send_document(hub)
    item = await one_item(hub)
    async with stand_in_receiver() as gone:
        url = gone.url
    async with webhook(url) as adapter:
        with pytest.raises(AdapterUnavailable) as err:
            await adapter.send(item)
        assert adapter.is_recoverable(err.value)
