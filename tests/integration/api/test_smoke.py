"""Smoke: a document goes A → B through the HTTP API."""

from __future__ import annotations

from tests.integration.api.conftest import B, World


async def test_submit_and_fetch(world: World) -> None:
    """A multipart submit is 202 and lands in B's mailbox."""
    message_id = await world.send()
    resp = await world.client.get("/api/v1/mailbox?wait=5", headers=world.auth(B))
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert [i["message_id"] for i in items] == [message_id]
